"""Template parameters: defaults, overrides, and CloudFormation's checks with its own wording."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lamina.errors import TemplateError
from lamina.template.loader import Template

ParameterValue = str | list[str]

_AWS_TYPE = re.compile(
    r"^(AWS::[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+|AWS::SSM::Parameter::Name)$"
)
_LIST_TYPE = re.compile(r"^List<(.+)>$")
_SSM_TYPE = re.compile(r"^AWS::SSM::Parameter::Value<(.+)>$")


@dataclass(frozen=True, slots=True)
class Parameters:
    """What ``Ref`` of each parameter gives: a string, or a list of strings for list types."""

    values: Mapping[str, ParameterValue]
    warnings: tuple[str, ...] = ()


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _is_list_type(type_: str) -> bool:
    return type_ == "CommaDelimitedList" or bool(_LIST_TYPE.match(type_))


def _is_known_type(type_: str) -> bool:
    inner = _LIST_TYPE.match(type_) or _SSM_TYPE.match(type_)
    if inner:
        return _is_known_type(inner.group(1))
    return type_ in ("String", "Number", "CommaDelimitedList") or bool(_AWS_TYPE.match(type_))


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _check(name: str, decl: Mapping[str, Any], type_: str, item: str) -> str | None:
    """The CloudFormation message for the first constraint ``item`` breaks, else None."""
    numeric = type_ in ("Number", "List<Number>")
    number = _number(item)
    if numeric and number is None:
        return f"Parameter '{name}' must be a number"
    allowed = decl.get("AllowedValues")
    if isinstance(allowed, list) and item not in [_scalar(v) for v in allowed]:
        return f"Parameter '{name}' must be one of AllowedValues"
    pattern = decl.get("AllowedPattern")
    if isinstance(pattern, str):
        try:
            matched = re.fullmatch(pattern, item)
        except re.error as exc:
            return f"Parameter '{name}' has an invalid AllowedPattern: {exc}"
        if not matched:
            return f"Parameter '{name}' must match pattern {pattern}"
    if "MinLength" in decl and len(item) < int(decl["MinLength"]):
        return f"Parameter '{name}' must contain at least {decl['MinLength']} characters"
    if "MaxLength" in decl and len(item) > int(decl["MaxLength"]):
        return f"Parameter '{name}' must contain at most {decl['MaxLength']} characters"
    if numeric and number is not None:
        if "MinValue" in decl and number < float(decl["MinValue"]):
            return f"Parameter '{name}' must be a number not less than {decl['MinValue']}"
        if "MaxValue" in decl and number > float(decl["MaxValue"]):
            return f"Parameter '{name}' must be a number not greater than {decl['MaxValue']}"
    return None


def _value(name: str, decl: Mapping[str, Any], raw: Any) -> ParameterValue:
    type_ = str(decl["Type"])
    if _is_list_type(type_):
        items = [_scalar(v) for v in raw] if isinstance(raw, list) else _scalar(raw).split(",")
        # CloudFormation keeps an empty list empty rather than [""].
        items = [] if items == [""] else [i.strip() for i in items]
        checked: ParameterValue = items
    else:
        items = [_scalar(raw)]
        checked = items[0]
    for item in items:
        try:
            problem = _check(name, decl, type_, item)
        except (TypeError, ValueError):
            raise ValueError(
                f"Parameter '{name}': MinLength, MaxLength, MinValue and MaxValue must be numbers"
            ) from None
        if problem is not None:
            description = decl.get("ConstraintDescription")
            if description:
                problem = f"Parameter '{name}' failed to satisfy constraint: {description}"
            raise ValueError(problem)
    return checked


def resolve(template: Template, overrides: Mapping[str, str] | None = None) -> Parameters:
    """Every declared parameter's value: the override, else the default, checked.

    Raises ``TemplateError`` for a parameter with neither, a value that breaks a constraint, or a
    malformed declaration. Overrides the template does not declare are ignored with a warning
    (as ``sam local`` does), since one override file often serves several templates.
    """
    declared = template.data.get("Parameters") or {}
    if not isinstance(declared, dict):
        raise TemplateError(
            "Parameters must be a mapping",
            file=str(template.file),
            line=template.line_of("Parameters"),
        )
    overrides = dict(overrides or {})
    values: dict[str, ParameterValue] = {}
    warnings: list[str] = []
    missing: list[str] = []

    def fail(message: str, name: str) -> TemplateError:
        return TemplateError(
            message,
            file=str(template.file),
            line=template.line_of("Parameters", name),
            field=f"Parameters.{name}",
        )

    for name, decl in declared.items():
        if not isinstance(decl, dict) or not isinstance(decl.get("Type"), str):
            raise fail("Every Parameters object must contain a Type member.", name)
        if not _is_known_type(decl["Type"]):
            raise fail(f"Unrecognized parameter type: {decl['Type']}", name)
        if name in overrides:
            raw: Any = overrides.pop(name)
        elif "Default" in decl:
            raw = decl["Default"]
        else:
            missing.append(name)
            continue
        if _SSM_TYPE.match(decl["Type"]):
            warnings.append(
                f"Parameter {name}: SSM parameters are not read locally; using {_scalar(raw)!r} "
                f"as the value (pass --parameter-overrides {name}=<value> to set it)"
            )
        try:
            values[name] = _value(name, decl, raw)
        except ValueError as exc:
            raise fail(str(exc), name) from None
    if missing:
        raise fail(f"Parameters: [{', '.join(missing)}] must have values", missing[0])
    warnings += [
        f"Parameter override {name} is not declared in the template; ignored" for name in overrides
    ]
    return Parameters(values=values, warnings=tuple(warnings))
