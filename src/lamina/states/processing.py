"""A state's input and output processing, in both query languages.

JSONPath (AWS's order): ``InputPath`` → ``Parameters`` (the effective input) → the task's result
→ ``ResultSelector`` → ``ResultPath`` (merged into the raw input) → ``OutputPath``.
JSONata: ``Arguments`` (the effective input) → the result → ``Output``; ``$states.input`` is the
raw input, ``$states.result`` the result.

``Assign`` is evaluated beside the output and reads the same values (in JSONPath, ``$`` is the
raw result for Task, Parallel and Map, the raw input for the other states); every value is
computed from the variables as they were before the state, and the new variables are returned
for the executor to apply (``scope.assigned``).

The executor calls, per state:
* ``effective_input(state, raw_input, scope)`` — what a Task gets (or Pass's default result);
* ``pass_result(state, effective)`` — a Pass state's result (its ``Result``, else its input);
  for Wait, Choice and Succeed the result is the effective input;
* ``effective_output(state, raw_input, result, scope)`` → ``(output, assigned)``;
* ``error_output(catcher, state, raw_input, error, cause, scope)`` → ``(output, assigned)`` when
  a Catch handles an error.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from lamina.states import jsonata, jsonpath, payload
from lamina.states.definition import State
from lamina.states.errors import (
    QUERY_EVALUATION_ERROR,
    RESULT_PATH_MATCH_FAILURE,
    RUNTIME,
    StatesError,
)
from lamina.states.retry import Catcher
from lamina.states.scope import Scope
from lamina.states.timestamps import parse_timestamp

_UNSET = object()
_RESULTFUL = ("Task", "Parallel", "Map")


def states_value(
    scope: Scope, raw_input: Any, result: Any = _UNSET, error_output: Any = _UNSET
) -> dict[str, Any]:
    """``$states`` for a JSONata expression."""
    states: dict[str, Any] = {"input": raw_input, "context": scope.context}
    if result is not _UNSET:
        states["result"] = result
    if error_output is not _UNSET:
        states["errorOutput"] = error_output
    return states


def bindings_for(
    scope: Scope, raw_input: Any, result: Any = _UNSET, error_output: Any = _UNSET
) -> dict[str, Any]:
    return jsonata.bindings(scope.variables, states_value(scope, raw_input, result, error_output))


def apply_input_path(path: Any, raw_input: Any, scope: Scope) -> Any:
    if path is None:
        return {}
    return payload.read(path, raw_input, scope)


def effective_input(state: State, raw_input: Any, scope: Scope) -> Any:
    """The state's input after ``InputPath`` and ``Parameters`` (JSONPath) or ``Arguments``."""
    if state.jsonata:
        if "Arguments" in state.fields:
            return jsonata.resolve(
                state.fields["Arguments"], bindings_for(scope, raw_input), "Arguments"
            )
        return raw_input
    value = apply_input_path(state.fields.get("InputPath", "$"), raw_input, scope)
    if "Parameters" in state.fields and state.type != "Map":
        value = payload.template(state.fields["Parameters"], value, scope)
    return value


def pass_result(state: State, effective: Any) -> Any:
    """A Pass state's result: its ``Result`` if it has one, else its effective input."""
    return state.fields.get("Result", effective)


def effective_output(
    state: State, raw_input: Any, result: Any, scope: Scope
) -> tuple[Any, dict[str, Any]]:
    """The state's output and the variables its ``Assign`` sets."""
    if state.jsonata:
        bindings = bindings_for(scope, raw_input, result)
        assigned = assign_jsonata(state.fields.get("Assign"), bindings)
        if "Output" in state.fields:
            return jsonata.resolve(state.fields["Output"], bindings, "Output"), assigned
        return result, assigned
    source = result if state.type in _RESULTFUL else raw_input
    assigned = assign_jsonpath(state.fields.get("Assign"), source, scope)
    if "ResultSelector" in state.fields:
        result = payload.template(state.fields["ResultSelector"], result, scope)
    combined = apply_result_path(state.fields.get("ResultPath", "$"), raw_input, result)
    return apply_output_path(state.fields.get("OutputPath", "$"), combined, scope), assigned


def apply_result_path(path: Any, raw_input: Any, result: Any) -> Any:
    if path is None:
        return raw_input
    compiled = jsonpath.compile(path)
    try:
        return compiled.set(raw_input, result)
    except jsonpath.NoResults:
        raise StatesError(
            RESULT_PATH_MATCH_FAILURE,
            f'Unable to apply ResultPath "{path}" to input "{payload.compact(raw_input)}"',
        ) from None


def apply_output_path(path: Any, value: Any, scope: Scope) -> Any:
    if path is None:
        return {}
    return payload.read(path, value, scope)


def error_output(
    catcher: Catcher, state: State, raw_input: Any, error: str, cause: str, scope: Scope
) -> tuple[Any, dict[str, Any]]:
    """The output a Catch passes to its ``Next``, and the variables its ``Assign`` sets."""
    error_value = {"Error": error, "Cause": cause}
    fields = catcher.fields
    if state.jsonata:
        bindings = bindings_for(scope, raw_input, error_output=error_value)
        where = f"Catch[{catcher.index}]/"
        assigned = assign_jsonata(fields.get("Assign"), bindings, f"{where}Assign")
        if "Output" in fields:
            return jsonata.resolve(fields["Output"], bindings, f"{where}Output"), assigned
        return error_value, assigned
    assigned = assign_jsonpath(fields.get("Assign"), error_value, scope)
    return apply_result_path(fields.get("ResultPath", "$"), raw_input, error_value), assigned


def assign_jsonata(assign: Any, bindings: dict[str, Any], field: str = "Assign") -> dict[str, Any]:
    if assign is None:
        return {}
    if jsonata.is_expression(assign):
        value = jsonata.resolve(assign, bindings, field)
        if not isinstance(value, dict):
            raise StatesError(
                QUERY_EVALUATION_ERROR, "The Assign expression must evaluate to an object"
            )
        return value
    resolved: dict[str, Any] = jsonata.resolve(assign, bindings, field)
    return resolved


def assign_jsonpath(assign: Any, source: Any, scope: Scope) -> dict[str, Any]:
    if not assign:
        return {}
    resolved: dict[str, Any] = payload.template(assign, source, scope)
    return resolved


def wait_until(state: State, raw_input: Any, scope: Scope, now: datetime) -> datetime:
    """When a Wait state ends (``now`` is when it was entered)."""
    fields = state.fields
    if state.jsonata:
        bindings = bindings_for(scope, raw_input)
        if "Seconds" in fields:
            seconds = jsonata.resolve(fields["Seconds"], bindings, "Seconds")
            return now + timedelta(seconds=_seconds(seconds, "Seconds"))
        stamp = jsonata.resolve(fields["Timestamp"], bindings, "Timestamp")
        return _timestamp(stamp, "Timestamp")
    value = apply_input_path(fields.get("InputPath", "$"), raw_input, scope)
    if "Seconds" in fields:
        return now + timedelta(seconds=fields["Seconds"])
    if "Timestamp" in fields:
        return _timestamp(fields["Timestamp"], "Timestamp")
    if "SecondsPath" in fields:
        return now + timedelta(
            seconds=_seconds(payload.read(fields["SecondsPath"], value, scope), "SecondsPath")
        )
    return _timestamp(payload.read(fields["TimestampPath"], value, scope), "TimestampPath")


def _seconds(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise StatesError(
            RUNTIME, f"The {name} parameter does not reference a non-negative integer: {value!r}"
        )
    return float(value)


def _timestamp(value: Any, name: str) -> datetime:
    parsed = parse_timestamp(value)
    if parsed is None:
        raise StatesError(
            RUNTIME,
            f"The {name} parameter does not reference a valid ISO-8601 timestamp: {value!r}",
        )
    return parsed


def fail_details(state: State, raw_input: Any, scope: Scope) -> tuple[str | None, str | None]:
    """A Fail state's error name and cause."""
    fields = state.fields
    if state.jsonata:
        bindings = bindings_for(scope, raw_input)
        return (
            _text_or_none(jsonata.resolve(fields.get("Error"), bindings, "Error")),
            _text_or_none(jsonata.resolve(fields.get("Cause"), bindings, "Cause")),
        )
    error, cause = fields.get("Error"), fields.get("Cause")
    if "ErrorPath" in fields:
        error = _text_or_none(payload.template({"v.$": fields["ErrorPath"]}, raw_input, scope)["v"])
    if "CausePath" in fields:
        cause = _text_or_none(payload.template({"v.$": fields["CausePath"]}, raw_input, scope)["v"])
    return error, cause


def _text_or_none(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return payload.compact(value)


def map_items(state: State, raw_input: Any, scope: Scope) -> list[Any]:
    """The items a Map state iterates over (``ItemsPath``, JSONata ``Items``)."""
    if state.jsonata:
        items = state.fields.get("Items", "{% $states.input %}")
        value = jsonata.resolve(items, bindings_for(scope, raw_input), "Items")
        if not isinstance(value, list):
            raise StatesError(
                QUERY_EVALUATION_ERROR,
                f"The Items field must evaluate to a JSON array, got: {payload.compact(value)}",
            )
        return value
    effective = effective_input(state, raw_input, scope)
    path = state.fields.get("ItemsPath", "$")
    value = payload.read(path, effective, scope)
    if not isinstance(value, list):
        raise StatesError(
            RUNTIME,
            f"Invalid path '{path}' : The value at the path must be a JSON array, got: "
            f"{payload.compact(value)}",
        )
    return value


def map_item_input(state: State, item: Any, index: int, raw_input: Any, scope: Scope) -> Any:
    """The input of one iteration: ``ItemSelector`` (or legacy ``Parameters``), else the item.
    ``$$.Map.Item.Index``/``Value`` are set in the scope the selector sees."""
    item_scope = scope.map_item(index, item)
    if state.jsonata:
        if "ItemSelector" in state.fields:
            return jsonata.resolve(
                state.fields["ItemSelector"], bindings_for(item_scope, raw_input), "ItemSelector"
            )
        return item
    selector = state.fields.get("ItemSelector", state.fields.get("Parameters"))
    if selector is None:
        return item
    effective = effective_input(state, raw_input, scope)
    return payload.template(selector, effective, item_scope)
