"""Members checked against their shapes: types, required members, enums, lengths and ranges.

``check`` walks a request's decoded members (JSON values, or strings the query and REST
parsers already converted) and returns them in their Python form (timestamps as ``datetime``,
blobs as ``bytes``). A value of the wrong type raises ``WrongType`` at once (json clients get
``SerializationException``, the others an invalid-parameter error); every broken constraint is
collected and raised together as ``Invalid`` with AWS's request-validator wording:
"2 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member
must not be null; ...". Paths name members with a lower-case first letter and list elements
1-based (``keySchema.1.member.attributeName``), as AWS's messages do.
"""

from __future__ import annotations

from typing import Any

from lamina.services.protocols import scalars
from lamina.services.protocols.shapes import Shape

_INTEGRAL = ("integer", "long")
_REAL = ("float", "double")


class WrongType(ValueError):
    def __init__(self, path: str, expected: str, value: object) -> None:
        super().__init__(f"{_kind(value)} can not be converted to {_article(expected)}")
        self.path = path


class Invalid(ValueError):
    def __init__(self, problems: list[str]) -> None:
        count = len(problems)
        noun = "validation error" if count == 1 else "validation errors"
        super().__init__(f"{count} {noun} detected: " + "; ".join(problems))
        self.problems = problems


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE_VALUE" if value else "FALSE_VALUE"
    if isinstance(value, int | float):
        return "NUMBER_VALUE"
    if isinstance(value, str):
        return "STRING_VALUE"
    if isinstance(value, list):
        return "START_ARRAY"
    if isinstance(value, dict):
        return "START_OBJECT"
    return "VALUE_NULL"


def _article(expected: str) -> str:
    names = {"timestamp": "Date"}
    return names.get(expected, expected.title())


def member_path(parent: str, name: str) -> str:
    name = name[:1].lower() + name[1:]
    return f"{parent}.{name}" if parent else name


def check(shape: Shape, value: Any) -> Any:
    """``value`` checked against ``shape`` (a request's input structure) in its Python form."""
    problems: list[str] = []
    result = _check(shape, value, "", problems)
    if problems:
        raise Invalid(problems)
    return result


def _check(shape: Shape, value: Any, path: str, problems: list[str]) -> Any:
    kind = shape.kind
    if kind == "structure":
        if not isinstance(value, dict):
            raise WrongType(path, kind, value)
        for name in shape.required:
            if value.get(name) is None:
                where = member_path(path, name)
                problems.append(
                    f"Value null at '{where}' failed to satisfy constraint: Member must not be null"
                )
        members = shape.members
        out: dict[str, Any] = {}
        for name, item in value.items():
            member = members.get(name)
            if member is None or item is None:
                continue  # AWS ignores members it does not know; so do its request parsers
            sub = member.shape
            # The common members, taken as they are when they break nothing (no path is built):
            # most members of most requests are strings, and a blob payload is already bytes.
            if type(item) is str and sub.kind == "string" and _fits(sub, item):
                out[name] = item
                continue
            if type(item) is bytes and sub.kind == "blob":
                out[name] = item
                continue
            where = f"{path}.{member.path_name}" if path else member.path_name
            out[name] = _check(sub, item, where, problems)
        return out
    if kind == "list":
        if not isinstance(value, list):
            raise WrongType(path, kind, value)
        _length(shape, len(value), value, path, problems)
        assert shape.member is not None
        element = shape.member.shape
        return [_check(element, v, f"{path}.{i}.member", problems) for i, v in enumerate(value, 1)]
    if kind == "map":
        if not isinstance(value, dict):
            raise WrongType(path, kind, value)
        _length(shape, len(value), value, path, problems)
        assert shape.value is not None
        values = shape.value.shape
        return {k: _check(values, v, f"{path}.{k}", problems) for k, v in value.items()}
    if kind == "string":
        if not isinstance(value, str):
            raise WrongType(path, kind, value)
        if shape.enum and value not in shape.enum:
            allowed = ", ".join(shape.enum)
            problems.append(
                f"Value '{value}' at '{path}' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{allowed}]"
            )
        _length(shape, len(value), value, path, problems)
        return value
    if kind in _INTEGRAL or kind in _REAL:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise WrongType(path, kind, value)
        if kind in _INTEGRAL and isinstance(value, float):
            if not value.is_integer():
                raise WrongType(path, kind, value)
            value = int(value)
        _range(shape, value, path, problems)
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise WrongType(path, kind, value)
        return value
    if kind == "timestamp":
        try:
            return scalars.read_timestamp(value)
        except (ValueError, OverflowError, OSError):
            raise WrongType(path, kind, value) from None
    if kind == "blob":
        if isinstance(value, bytes):
            return value
        if not isinstance(value, str):
            raise WrongType(path, kind, value)
        try:
            return scalars.read_blob(value)
        except ValueError:
            raise WrongType(path, kind, value) from None
    return value  # document types: any JSON


def _fits(shape: Shape, text: str) -> bool:
    """Whether a string member's value breaks none of its constraints (``_check`` words it)."""
    if shape.enum and text not in shape.enum:
        return False
    low, high = shape.min, shape.max
    return (low is None or len(text) >= low) and (high is None or len(text) <= high)


def _length(shape: Shape, size: int, value: object, path: str, problems: list[str]) -> None:
    if shape.min is not None and size < shape.min:
        problems.append(
            f"Value {_show(value)} at '{path}' failed to satisfy constraint: "
            f"Member must have length greater than or equal to {shape.min}"
        )
    elif shape.max is not None and size > shape.max:
        problems.append(
            f"Value {_show(value)} at '{path}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {shape.max}"
        )


def _range(shape: Shape, value: float, path: str, problems: list[str]) -> None:
    if shape.min is not None and value < shape.min:
        problems.append(
            f"Value '{value}' at '{path}' failed to satisfy constraint: "
            f"Member must have value greater than or equal to {shape.min}"
        )
    elif shape.max is not None and value > shape.max:
        problems.append(
            f"Value '{value}' at '{path}' failed to satisfy constraint: "
            f"Member must have value less than or equal to {shape.max}"
        )


def _show(value: object) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)
