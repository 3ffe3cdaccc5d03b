"""Template parameters: defaults, overrides, types and CloudFormation's constraint checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from lamina.errors import TemplateError
from lamina.template import load_stack

from .conftest import WriteApp

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  Param:
{declaration}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables:
          VALUE: !Join ["|", [!Ref Param]]
"""
LIST_TEMPLATE = TEMPLATE.replace('!Join ["|", [!Ref Param]]', '!Join ["|", !Ref Param]')


def _declare(lines: str) -> str:
    return "\n".join(f"    {line}" for line in lines.strip().splitlines())


def _value(write_app: WriteApp, declaration: str, override: str | None = None) -> str:
    path = write_app(TEMPLATE.format(declaration=_declare(declaration)))
    stack = load_stack(
        path, stack_name="s", parameter_overrides=None if override is None else {"Param": override}
    )
    return stack.functions["Fn"].environment["VALUE"]


def _error(write_app: WriteApp, declaration: str, override: str | None = None) -> TemplateError:
    with pytest.raises(TemplateError) as caught:
        _value(write_app, declaration, override)
    return caught.value


def test_default_and_override(write_app: WriteApp) -> None:
    """The default applies unless overridden; a YAML number default is its string."""
    assert _value(write_app, "Type: String\nDefault: dev") == "dev"
    assert _value(write_app, "Type: String\nDefault: dev", "prod") == "prod"
    assert _value(write_app, "Type: Number\nDefault: 3") == "3"


def test_missing_value_names_the_parameter_and_its_line(write_app: WriteApp) -> None:
    """A parameter with neither default nor override is an error at the parameter's line."""
    error = _error(write_app, "Type: String")
    assert error.message == "Parameters: [Param] must have values"
    assert error.field == "Parameters.Param"
    assert error.line == 3
    assert error.file is not None and error.file.endswith("template.yaml")


@pytest.mark.parametrize(
    ("declaration", "override", "message"),
    [
        (
            "Type: String\nAllowedValues: [dev, prod]",
            "test",
            "Parameter 'Param' must be one of AllowedValues",
        ),
        (
            "Type: String\nAllowedPattern: '[a-z]+'",
            "ABC",
            "Parameter 'Param' must match pattern [a-z]+",
        ),
        (
            "Type: String\nMinLength: 3",
            "ab",
            "Parameter 'Param' must contain at least 3 characters",
        ),
        (
            "Type: String\nMaxLength: 3",
            "abcd",
            "Parameter 'Param' must contain at most 3 characters",
        ),
        ("Type: Number", "many", "Parameter 'Param' must be a number"),
        ("Type: Number\nMinValue: 2", "1", "Parameter 'Param' must be a number not less than 2"),
        ("Type: Number\nMaxValue: 2", "3", "Parameter 'Param' must be a number not greater than 2"),
        ("Type: List<Number>", "1,x", "Parameter 'Param' must be a number"),
        (
            "Type: String\nAllowedPattern: '[a-z]+'\nConstraintDescription: lower case only",
            "ABC",
            "Parameter 'Param' failed to satisfy constraint: lower case only",
        ),
        ("Type: Text", "x", "Unrecognized parameter type: Text"),
        ("Default: x", None, "Every Parameters object must contain a Type member."),
    ],
)
def test_constraints(
    write_app: WriteApp, declaration: str, override: str | None, message: str
) -> None:
    """Each constraint CloudFormation checks is checked, with CloudFormation's message."""
    error = _error(write_app, declaration, override)
    assert error.message == message
    assert error.field == "Parameters.Param"


def test_values_within_constraints_pass(write_app: WriteApp) -> None:
    """Values satisfying every constraint are accepted unchanged."""
    declaration = "Type: Number\nMinValue: 1\nMaxValue: 10\nAllowedValues: [1, 5, 10]"
    assert _value(write_app, declaration, "5") == "5"
    assert (
        _value(
            write_app, "Type: String\nMinLength: 2\nMaxLength: 4\nAllowedPattern: '[a-z]*'", "abc"
        )
        == "abc"
    )


def test_list_parameters_are_lists(write_app: WriteApp) -> None:
    """CommaDelimitedList and List<...> parameters resolve to lists of strings."""
    path = write_app(
        LIST_TEMPLATE.format(declaration=_declare("Type: CommaDelimitedList\nDefault: a,b,c"))
    )
    assert load_stack(path, stack_name="s").functions["Fn"].environment["VALUE"] == "a|b|c"
    path = write_app(LIST_TEMPLATE.format(declaration=_declare("Type: List<AWS::EC2::Subnet::Id>")))
    stack = load_stack(path, stack_name="s", parameter_overrides={"Param": "subnet-1,subnet-2"})
    assert stack.functions["Fn"].environment["VALUE"] == "subnet-1|subnet-2"


def test_undeclared_override_is_a_warning(write_app: WriteApp) -> None:
    """An override the template does not declare is ignored with a warning, as sam local does."""
    path = write_app(TEMPLATE.format(declaration=_declare("Type: String\nDefault: x")))
    stack = load_stack(path, stack_name="s", parameter_overrides={"Other": "1"})
    assert any("Other" in w and "not declared" in w for w in stack.warnings)


def test_ssm_parameter_types_warn(write_app: WriteApp, tmp_path: Path) -> None:
    """SSM-backed parameters cannot be read locally: the given value is used, with a warning."""
    path = write_app(
        TEMPLATE.format(
            declaration=_declare("Type: AWS::SSM::Parameter::Value<String>\nDefault: /app/name")
        )
    )
    stack = load_stack(path, stack_name="s")
    assert stack.functions["Fn"].environment["VALUE"] == "/app/name"
    assert any("SSM" in w for w in stack.warnings)
