"""Intrinsic functions, resolved the way CloudFormation would, down to FunctionSpec.environment."""

from __future__ import annotations

from typing import Any

import pytest

from lamina.errors import TemplateError
from lamina.model.specs import Stack
from lamina.template import load_stack
from lamina.template.intrinsics import NO_VALUE, ResolveError, Resolver
from lamina.template.names import Place, ResourceIds

from .conftest import FIXTURES, WriteApp

ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def stack() -> Stack:
    return load_stack(FIXTURES / "intrinsics", stack_name="demo")


@pytest.fixture(scope="module")
def env(stack: Stack) -> dict[str, str]:
    return dict(stack.functions["ShowFunction"].environment)


def test_ref_of_parameters_pseudo_parameters_and_resources(env: dict[str, str]) -> None:
    """Ref gives parameter values, pseudo parameters, and each resource type's physical id."""
    assert env["REF_PARAMETER"] == "dev"
    assert env["REF_FUNCTION"] == "demo-other"
    assert env["REGION"] == "us-east-1"
    assert env["ACCOUNT"] == ACCOUNT
    assert env["STACK_NAME"] == "demo"
    assert env["STACK_ID"].startswith(f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/demo/")
    assert env["PARTITION"] == "aws"
    assert env["URL_SUFFIX"] == "amazonaws.com"
    assert env["TABLE_NAME"].startswith("demo-Table-")
    assert env["QUEUE_URL"] == f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/dev-jobs"
    assert env["TOPIC_ARN"].startswith(f"arn:aws:sns:us-east-1:{ACCOUNT}:demo-Topic-")
    assert env["BUCKET"] == env["BUCKET"].lower()


def test_no_value_removes_the_key(env: dict[str, str]) -> None:
    """Ref AWS::NoValue, directly or from Fn::If, removes the variable altogether."""
    assert "REMOVED" not in env
    assert "IF_REMOVED" not in env


def test_get_att_of_known_types(env: dict[str, str]) -> None:
    """Fn::GetAtt in both forms gives ARNs, names and URLs in AWS's formats."""
    table = env["TABLE_NAME"]
    assert env["FUNCTION_ARN"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:demo-other"
    assert env["TABLE_ARN"] == f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{table}"
    assert env["STREAM_ARN"].startswith(
        f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{table}/stream/"
    )
    assert env["QUEUE_ARN"] == f"arn:aws:sqs:us-east-1:{ACCOUNT}:dev-jobs"
    assert env["QUEUE_NAME"] == "dev-jobs"
    assert env["QUEUE_URL_ATTR"] == env["QUEUE_URL"]
    assert env["TOPIC_ARN"].endswith(":" + env["TOPIC_NAME"])
    assert env["BUCKET_ARN"] == f"arn:aws:s3:::{env['BUCKET']}"
    assert env["BUCKET_DOMAIN"] == f"{env['BUCKET']}.s3.amazonaws.com"
    assert env["ROLE_ARN"].startswith(f"arn:aws:iam::{ACCOUNT}:role/demo-Role-")


def test_unknown_attribute_gets_a_synthetic_value_and_a_warning(
    env: dict[str, str], stack: Stack
) -> None:
    """An attribute Lamina has no rule for resolves to a recognisable ARN and is warned about."""
    assert env["CUSTOM_ATTR"] == f"arn:aws:lamina:us-east-1:{ACCOUNT}:unresolved/Custom/Endpoint"
    assert any("Custom.Endpoint" in w and "Custom::Thing" in w for w in stack.warnings)


def test_sub_join_select_split(env: dict[str, str]) -> None:
    """Fn::Sub (both forms, with ${!Literal}), Fn::Join, Fn::Select and Fn::Split."""
    assert env["SUB"] == "dev-us-east-1-dev-jobs-${Literal}"
    assert env["SUB_LIST"] == f"hello, dev from {ACCOUNT}"
    assert env["JOIN"] == "a:dev:3"
    assert env["SELECT"] == "subnet-b"
    assert env["SPLIT"] == "z"
    assert env["JSON_FORM"] == "dev-dev-jobs"


def test_conditions_and_fn_if(env: dict[str, str]) -> None:
    """Fn::If follows Conditions built from Fn::Equals, Fn::Not, Fn::And, Fn::Or and Condition."""
    assert env["IF_DEV"] == "dev-value"
    assert env["AND"] == "and-true"
    assert env["OR"] == "or-true"


def test_find_in_map_base64_get_azs_cidr(env: dict[str, str]) -> None:
    """Fn::FindInMap, Fn::Base64, Fn::GetAZs (zones a/b/c) and Fn::Cidr."""
    assert env["FIND_IN_MAP"] == "use1"
    assert env["BASE64"] == "aGVsbG8="
    assert env["AZ"] == "us-east-1a"
    assert env["CIDR"] == "10.0.1.0/24"


def test_scalars_are_stringified_like_cloudformation(env: dict[str, str]) -> None:
    """Numbers and booleans in environment variables become strings: 42 -> "42", true -> "true"."""
    assert env["NUMBER"] == "42"
    assert env["BOOLEAN"] == "true"


def test_override_changes_every_dependent_value(write_app: WriteApp) -> None:
    """A region and a parameter override flow through Sub, If and FindInMap."""
    stack = load_stack(
        FIXTURES / "intrinsics",
        stack_name="demo",
        region="eu-west-1",
        parameter_overrides={"Stage": "prod"},
    )
    env = stack.functions["ShowFunction"].environment
    assert env["FIND_IN_MAP"] == "euw1"
    assert env["IF_DEV"] == "prod-value"
    assert env["IF_REMOVED"] == "prod-only"
    assert env["OR"] == "or-true"
    assert env["AND"] == "and-false"
    assert env["QUEUE_URL"] == f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/prod-jobs"


def _resolver(
    parameters: dict[str, Any] | None = None,
    resources: dict[str, Any] | None = None,
    conditions: dict[str, Any] | None = None,
    mappings: dict[str, Any] | None = None,
) -> Resolver:
    place = Place(stack_name="s", region="us-east-1", account_id=ACCOUNT)
    return Resolver(
        parameters={**place.pseudo_parameters(), **(parameters or {})},
        resources=ResourceIds(resources or {}, place),
        conditions=conditions or {},
        mappings=mappings or {},
        region="us-east-1",
    )


def test_no_value_is_dropped_from_lists_and_returned_alone() -> None:
    """AWS::NoValue removes list items; on its own it resolves to the NO_VALUE marker."""
    resolver = _resolver()
    assert resolver.resolve(["a", {"Ref": "AWS::NoValue"}, "b"]) == ["a", "b"]
    assert resolver.resolve({"Ref": "AWS::NoValue"}) is NO_VALUE


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"Ref": "Nowhere"}, "Unresolved resource dependencies [Nowhere]"),
        ({"Fn::GetAtt": ["Nowhere", "Arn"]}, "references undefined resource Nowhere"),
        ({"Fn::Select": [5, ["a"]]}, "cannot select nonexistent value at index 5"),
        ({"Fn::FindInMap": ["M", "x", "y"]}, "Key 'x' not found in Mapping 'M'"),
        ({"Fn::If": ["Missing", 1, 2]}, "Condition Missing is not defined"),
        ({"Fn::Sub": "${List}"}, "needs a string"),
        ({"Fn::ImportValue": "Shared"}, "no exports of other stacks"),
        ({"Fn::Transform": {"Name": "AWS::Include"}}, "Fn::Transform is not supported"),
    ],
)
def test_unresolvable_values_raise(value: Any, message: str) -> None:
    """What cannot be resolved is a ResolveError with CloudFormation's wording where it has one."""
    resolver = _resolver(parameters={"List": ["a"]}, mappings={"M": {"a": {"b": 1}}})
    with pytest.raises(ResolveError, match=message.replace("[", r"\[").replace("]", r"\]")):
        resolver.resolve(value)


def test_fn_find_in_map_default_value() -> None:
    """The fourth Fn::FindInMap argument (AWS::LanguageExtensions) is used when a key is missing."""
    resolver = _resolver(mappings={"M": {"a": {"b": 1}}})
    assert resolver.resolve({"Fn::FindInMap": ["M", "z", "b", {"DefaultValue": 7}]}) == 7
    assert resolver.resolve({"Fn::FindInMap": ["M", "a", "b", {"DefaultValue": 7}]}) == 1


def test_circular_references_are_reported() -> None:
    """Two resources naming each other are a circular dependency, not a recursion error."""
    resources = {
        "A": {
            "Type": "AWS::SQS::Queue",
            "Properties": {"QueueName": {"Fn::GetAtt": ["B", "QueueName"]}},
        },
        "B": {
            "Type": "AWS::SQS::Queue",
            "Properties": {"QueueName": {"Fn::GetAtt": ["A", "QueueName"]}},
        },
    }
    with pytest.raises(ResolveError, match="Circular dependency between resources"):
        _resolver(resources=resources).resolve({"Ref": "A"})


def test_equals_compares_numbers_and_strings_alike() -> None:
    """Fn::Equals of a Number parameter (a string) and a YAML number is true, as in AWS."""
    resolver = _resolver(
        parameters={"Count": "1"}, conditions={"One": {"Fn::Equals": [{"Ref": "Count"}, 1]}}
    )
    assert resolver.condition("One") is True


def test_import_value_in_a_function_names_resource_and_field(write_app: WriteApp) -> None:
    """Fn::ImportValue has no meaning locally: a TemplateError at the variable that uses it."""
    path = write_app(
        """
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src/
              Handler: app.handler
              Runtime: python3.12
              Environment:
                Variables:
                  SHARED: !ImportValue other-stack-output
        """
    )
    with pytest.raises(TemplateError) as caught:
        load_stack(path, stack_name="s")
    error = caught.value
    assert (error.resource, error.field, error.line) == ("Fn", "Environment.Variables.SHARED", 11)
    assert error.file == str(path)


def test_condition_key_outside_conditions_is_plain_data() -> None:
    """{Condition: ...} in a property (an IAM statement's) is data, not a condition reference."""
    statement = {"Condition": {"StringEquals": {"aws:RequestedRegion": {"Ref": "AWS::Region"}}}}
    assert _resolver().resolve(statement) == {
        "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}
    }
