"""One value rule of a pattern (an element of a leaf's array) compiled to a test of one value.

A rule is a plain JSON value (exact match: strings by equality, numbers numerically, ``true``,
``false``, ``null``) or a one-key object naming an operator: ``prefix``, ``suffix``,
``equals-ignore-case``, ``wildcard``, ``anything-but``, ``numeric``, ``cidr``, ``exists``.
``compile_rule`` validates it with the reasons AWS's matcher gives (``PatternError``) and
returns a ``Test`` over one leaf value of a document (str, int, float, bool or None, as
``json.loads`` yields them). ``exists`` is not a test of a value but of presence, so it is
returned as an ``Exists``; the caller (``pattern``) decides presence.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Test = Callable[[Any], bool]

_NUMERIC_OPERATORS = ("=", "<", "<=", ">", ">=")


class PatternError(ValueError):
    """A pattern that cannot be compiled; ``str()`` is the reason, in AWS's matcher's words.

    Callers word it as their API does: SNS ``Invalid parameter: FilterPolicy: <reason>``,
    EventBridge ``Event pattern is not valid. Reason: <reason>``.
    """


@dataclass(frozen=True, slots=True)
class Exists:
    """``{"exists": true|false}``: the field has a value (or has none)."""

    present: bool


def is_number(value: Any) -> bool:
    # bool is an int in Python but a JSON keyword, never a number.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def as_float(value: int | float) -> float:
    """A JSON number as a float; integers too large for one are infinities (no error)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def compile_rule(rule: Any) -> Test | Exists:
    if rule is None:
        return _is_none
    if isinstance(rule, bool):
        return _equals_bool(rule)
    if isinstance(rule, str):
        return _equals_str(rule)
    if is_number(rule):
        return _equals_number(as_float(rule))
    if isinstance(rule, dict):
        if len(rule) != 1:
            raise PatternError("Only one key allowed in match expression")
        ((operator, operand),) = rule.items()
        return _operator(operator, operand)
    raise PatternError("Match value must be String, number, true, false, or null")


def _operator(operator: str, operand: Any) -> Test | Exists:
    if operator == "exists":
        if not isinstance(operand, bool):
            raise PatternError("exists match pattern must be either true or false.")
        return Exists(operand)
    if operator == "prefix":
        return _prefix(operand, ignore_case=False)
    if operator == "suffix":
        return _suffix(operand, ignore_case=False)
    if operator == "equals-ignore-case":
        folded = _string(operand, operator).casefold()
        return lambda value: isinstance(value, str) and value.casefold() == folded
    if operator == "wildcard":
        regex = _wildcard(operand)
        return lambda value: isinstance(value, str) and regex.fullmatch(value) is not None
    if operator == "anything-but":
        return _anything_but(operand)
    if operator == "numeric":
        return _numeric(operand)
    if operator == "cidr":
        return _cidr(operand)
    raise PatternError(f"Unrecognized match type {operator}")


# -- exact values -----------------------------------------------------------------------------


def _is_none(value: Any) -> bool:
    return value is None


def _equals_bool(expected: bool) -> Test:
    return lambda value: value is expected


def _equals_str(expected: str) -> Test:
    return lambda value: value == expected and isinstance(value, str)


def _equals_number(expected: float) -> Test:
    return lambda value: is_number(value) and as_float(value) == expected


# -- strings ----------------------------------------------------------------------------------


def _string(operand: Any, operator: str) -> str:
    if not isinstance(operand, str):
        raise PatternError(f"{operator} match pattern must be a string")
    return operand


def _affix(operand: Any, operator: str) -> tuple[str, bool]:
    """The text of a prefix/suffix rule and whether it ignores case
    (``{"prefix": {"equals-ignore-case": "x"}}``)."""
    if isinstance(operand, dict):
        if list(operand) != ["equals-ignore-case"]:
            raise PatternError(f"Unsupported {operator} pattern: {', '.join(operand) or '{}'}")
        return _string(operand["equals-ignore-case"], operator), True
    return _string(operand, operator), False


def _prefix(operand: Any, *, ignore_case: bool) -> Test:
    text, folded = _affix(operand, "prefix")
    if folded or ignore_case:
        low = text.casefold()
        return lambda value: isinstance(value, str) and value.casefold().startswith(low)
    return lambda value: isinstance(value, str) and value.startswith(text)


def _suffix(operand: Any, *, ignore_case: bool) -> Test:
    text, folded = _affix(operand, "suffix")
    if folded or ignore_case:
        low = text.casefold()
        return lambda value: isinstance(value, str) and value.casefold().endswith(low)
    return lambda value: isinstance(value, str) and value.endswith(text)


def _wildcard(operand: Any) -> re.Pattern[str]:
    """``*`` is any run of characters, ``\\*`` a literal star; two stars in a row are refused
    (AWS: they make matching needlessly expensive)."""
    text = _string(operand, "wildcard")
    parts: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and text[index + 1] in "*\\":
            parts.append(re.escape(text[index + 1]))
            index += 2
            continue
        if char == "\\":
            raise PatternError(f"Invalid escape character at pos {index}")
        if char == "*":
            if text.startswith("*", index + 1):
                raise PatternError(f"Consecutive wildcard characters at pos {index + 1}")
            parts.append(".*")
        else:
            parts.append(re.escape(char))
        index += 1
    return re.compile("".join(parts), re.DOTALL)


# -- anything-but -----------------------------------------------------------------------------


def _anything_but(operand: Any) -> Test:
    if isinstance(operand, dict):
        if len(operand) != 1:
            raise PatternError("Only one key allowed in match expression")
        ((operator, inner),) = operand.items()
        if operator == "prefix":
            prefix = _prefix(inner, ignore_case=False)
            return lambda value: isinstance(value, str) and not prefix(value)
        if operator == "suffix":
            suffix = _suffix(inner, ignore_case=False)
            return lambda value: isinstance(value, str) and not suffix(value)
        if operator in ("equals-ignore-case", "wildcard"):
            tests = [_operator(operator, one) for one in _one_or_many(inner, operator)]
            checks = [test for test in tests if not isinstance(test, Exists)]
            return lambda value: isinstance(value, str) and not any(t(value) for t in checks)
        raise PatternError(f"Unsupported anything-but pattern: {operator}")
    values = operand if isinstance(operand, list) else [operand]
    if not values and isinstance(operand, list):
        raise PatternError("Empty arrays are not allowed")
    if any(isinstance(one, list | dict) or one is None or isinstance(one, bool) for one in values):
        raise PatternError("Inside anything-but list, start|null|boolean is not supported.")
    strings = {one for one in values if isinstance(one, str)}
    numbers = {as_float(one) for one in values if is_number(one)}

    def anything_but(value: Any) -> bool:
        if isinstance(value, str):
            return value not in strings
        if is_number(value):
            return as_float(value) not in numbers
        return True

    return anything_but


def _one_or_many(operand: Any, operator: str) -> list[Any]:
    if isinstance(operand, list):
        if not operand:
            raise PatternError("Empty arrays are not allowed")
        return operand
    return [operand]


# -- numbers and addresses --------------------------------------------------------------------


def _numeric(operand: Any) -> Test:
    """``[op, n]`` or a range ``[">"|">=", low, "<"|"<=", high]`` with low < high."""
    if not isinstance(operand, list) or not operand:
        raise PatternError("Invalid member in numeric match: ]")
    terms = list(operand)
    first = terms[0]
    if not isinstance(first, str):
        raise PatternError(f"Invalid member in numeric match: {first}")
    if first not in _NUMERIC_OPERATORS:
        raise PatternError(f"Unrecognized numeric range operator: {first}")
    low = _bound(terms, 1, first)
    checks: list[tuple[str, float]] = [(first, low)]
    if len(terms) > 2:
        if first not in (">", ">="):
            raise PatternError("Too many elements in numeric expression")
        second = terms[2]
        if not isinstance(second, str):
            raise PatternError(f"Bad value in numeric range: {second}")
        if second not in ("<", "<="):
            raise PatternError(f"Bad numeric range operator: {second}")
        high = _bound(terms, 3, second)
        if high <= low:
            raise PatternError("Bottom must be less than top")
        if len(terms) > 4:
            raise PatternError("Too many terms in numeric range expression")
        checks.append((second, high))

    def numeric(value: Any) -> bool:
        if not is_number(value):
            return False
        number = as_float(value)
        return all(_compare(op, number, bound) for op, bound in checks)

    return numeric


def _bound(terms: list[Any], index: int, operator: str) -> float:
    value: Any = terms[index] if index < len(terms) else None
    if not is_number(value) or not math.isfinite(as_float(value)):
        raise PatternError(f"Value of {'equals' if operator == '=' else operator} must be numeric")
    return float(value)


def _compare(operator: str, value: float, bound: float) -> bool:
    if operator == "=":
        return value == bound
    if operator == "<":
        return value < bound
    if operator == "<=":
        return value <= bound
    if operator == ">":
        return value > bound
    return value >= bound


def _cidr(operand: Any) -> Test:
    text = _string(operand, "cidr")
    address, slash, mask = text.partition("/")
    if not slash:
        raise PatternError("Malformed CIDR, one '/' required")
    if not mask.isdigit():
        raise PatternError("Malformed CIDR, mask bits must be an integer")
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise PatternError(f"Nonstandard IP address: {address}") from None

    def in_network(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        try:
            return ipaddress.ip_address(value) in network
        except ValueError:
            return False

    return in_network
