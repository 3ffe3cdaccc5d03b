"""Choice rules: which ``Next`` a Choice state takes.

JSONPath rules compare the value at ``Variable`` (read from the input after ``InputPath``)
with a literal or, for the ``...Path`` operators, with the value at another path; ``And``,
``Or`` and ``Not`` combine rules. A comparison of mismatched types is false (``StringEquals``
on a number), never an error; a ``Variable`` that names nothing fails the state with
``States.Runtime``, except under ``IsPresent``. JSONata rules are a ``Condition`` that must
evaluate to a boolean.

``choose`` returns the ``Next`` of the first matching rule, else ``Default``, else ``None``
(the executor then fails with ``States.NoChoiceMatched``). ``match`` returns the rule itself so
that ``choice_output`` can apply its ``Assign`` (and JSONata ``Output``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from lamina.states import jsonata, jsonpath, payload
from lamina.states.definition import State
from lamina.states.errors import QUERY_EVALUATION_ERROR, RUNTIME, StatesError
from lamina.states.processing import (
    apply_input_path,
    apply_output_path,
    assign_jsonata,
    assign_jsonpath,
    bindings_for,
)
from lamina.states.scope import Scope
from lamina.states.timestamps import parse_timestamp


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _compare(kind: str, a: Any, b: Any) -> int | None:
    """-1/0/1 when both sides are of ``kind``, None when they cannot be compared."""
    if kind == "String":
        if not (isinstance(a, str) and isinstance(b, str)):
            return None
    elif kind == "Numeric":
        if not (_number(a) and _number(b)):
            return None
    elif kind == "Boolean":
        if not (isinstance(a, bool) and isinstance(b, bool)):
            return None
    else:
        a, b = parse_timestamp(a), parse_timestamp(b)
        if a is None or b is None:
            return None
    order: int = (a > b) - (a < b)
    return order


_TESTS: dict[str, Callable[[int], bool]] = {
    "Equals": lambda c: c == 0,
    "LessThan": lambda c: c < 0,
    "GreaterThan": lambda c: c > 0,
    "LessThanEquals": lambda c: c <= 0,
    "GreaterThanEquals": lambda c: c >= 0,
}
_OPERATOR = re.compile(
    r"(String|Numeric|Boolean|Timestamp)(Equals|LessThanEquals|GreaterThanEquals|LessThan|GreaterThan)(Path)?"
)


@lru_cache(maxsize=1024)
def _glob(pattern: str) -> re.Pattern[str]:
    """StringMatches: ``*`` is any run of characters; ``\\*`` and ``\\\\`` are literal."""
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if char == "*" else re.escape(char))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def _is_type(test: str, value: Any) -> bool:
    if test == "IsNull":
        return value is None
    if test == "IsNumeric":
        return _number(value)
    if test == "IsString":
        return isinstance(value, str)
    if test == "IsBoolean":
        return isinstance(value, bool)
    return parse_timestamp(value) is not None  # IsTimestamp


def _present(text: str, document: Any, scope: Scope) -> bool:
    try:
        root, path = payload.split(text, scope, document)
    except StatesError:
        return False
    return path.exists(root)


def _variable(text: str, document: Any, scope: Scope) -> Any:
    try:
        root, path = payload.split(text, scope, document)
        return path.get(root)
    except (StatesError, jsonpath.NoResults):
        raise StatesError(
            RUNTIME,
            f"Invalid path '{text}': "
            "The choice state's condition path references an invalid value.",
        ) from None


def evaluate_rule(rule: dict[str, Any], document: Any, scope: Scope) -> bool:
    """Whether a JSONPath Choice rule (or nested rule) matches ``document``."""
    if "And" in rule:
        return all(evaluate_rule(r, document, scope) for r in rule["And"])
    if "Or" in rule:
        return any(evaluate_rule(r, document, scope) for r in rule["Or"])
    if "Not" in rule:
        return not evaluate_rule(rule["Not"], document, scope)
    variable = rule["Variable"]
    if "IsPresent" in rule:
        return _present(variable, document, scope) is rule["IsPresent"]
    value = _variable(variable, document, scope)
    for test in ("IsNull", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"):
        if test in rule:
            return _is_type(test, value) is rule[test]
    if "StringMatches" in rule:
        return isinstance(value, str) and _glob(rule["StringMatches"]).fullmatch(value) is not None
    for name, operand in rule.items():
        found = _OPERATOR.fullmatch(name)
        if found is None:
            continue
        kind, test, by_path = found.groups()
        if by_path:
            operand = _variable(operand, document, scope)
        order = _compare(kind, value, operand)
        return order is not None and _TESTS[test](order)
    return False


def match(state: State, raw_input: Any, scope: Scope) -> dict[str, Any] | None:
    """The first Choice rule that matches, or None."""
    if state.jsonata:
        bindings = bindings_for(scope, raw_input)
        for i, rule in enumerate(state.fields["Choices"]):
            verdict = jsonata.resolve(rule["Condition"], bindings, f"Choices[{i}]/Condition")
            if not isinstance(verdict, bool):
                raise StatesError(
                    QUERY_EVALUATION_ERROR,
                    "The Condition field must evaluate to a boolean, got: "
                    + payload.compact(verdict),
                )
            if verdict:
                return dict(rule)
        return None
    document = apply_input_path(state.fields.get("InputPath", "$"), raw_input, scope)
    for rule in state.fields["Choices"]:
        if evaluate_rule(rule, document, scope):
            return dict(rule)
    return None


def choose(state: State, raw_input: Any, scope: Scope) -> str | None:
    """The ``Next`` of the first matching rule, else ``Default``, else None."""
    rule = match(state, raw_input, scope)
    if rule is not None:
        next_state: str = rule["Next"]
        return next_state
    default: str | None = state.fields.get("Default")
    return default


def choice_output(
    state: State, rule: dict[str, Any] | None, raw_input: Any, scope: Scope
) -> tuple[Any, dict[str, Any]]:
    """A Choice state's output and variables, once ``rule`` (None: the Default) was taken."""
    source = rule if rule is not None else state.fields
    if state.jsonata:
        bindings = bindings_for(scope, raw_input)
        # AWS names a rule's fields under its index: Choices[1]/Output/v.
        where = "" if rule is None else f"Choices[{state.fields['Choices'].index(rule)}]/"
        assigned = assign_jsonata(source.get("Assign"), bindings, f"{where}Assign")
        output_spec = source.get("Output", state.fields.get("Output"))
        output = (
            jsonata.resolve(
                output_spec, bindings, f"{where}Output" if "Output" in source else "Output"
            )
            if output_spec is not None
            else raw_input
        )
        return output, assigned
    document = apply_input_path(state.fields.get("InputPath", "$"), raw_input, scope)
    assigned = assign_jsonpath(source.get("Assign"), raw_input, scope)
    return apply_output_path(state.fields.get("OutputPath", "$"), document, scope), assigned
