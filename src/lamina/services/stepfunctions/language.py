"""The executor's one door to the Amazon States Language.

The language itself (JSONPath and JSONata data processing, intrinsic functions, Choice rules,
Retry/Catch matching, validation) is ``lamina.states``'s. This module adapts it to what the
executor holds: states as the definition's JSON objects, a context object as a dict.

Until ``lamina.states`` lands, a minimal stand-in serves here: JSONPath of the plain
``$.a.b[0]`` form and ``$$`` for the context object, ``.$`` keys in ``Parameters`` and
``ResultSelector``, Choice's comparison operators with ``And``/``Or``/``Not``, and Retry/Catch
matching by ``ErrorEquals`` with ``States.ALL`` and ``States.TaskFailed``.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable, Mapping
from typing import Any

from lamina import fastjson

State = Mapping[str, Any]
_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")


class Failure(Exception):
    """A state's failure: ``error`` and ``cause`` as the history and Catch see them."""

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause


class Invalid(Exception):
    """A definition AWS refuses: ``str()`` is the message after ``Invalid State Machine
    Definition: ``."""


_TYPES = {"Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"}


def parse(text: str) -> dict[str, Any]:
    """The definition's JSON, checked; ``Invalid`` names the state and field."""
    try:
        definition = fastjson.loads(text)
    except ValueError:
        raise Invalid("'INVALID_JSON_DESCRIPTION: Invalid JSON'") from None
    if not isinstance(definition, dict):
        raise Invalid("'INVALID_JSON_DESCRIPTION: Definition must be an object'")
    _check_branch(definition, "")
    return definition


def _check_branch(branch: Mapping[str, Any], where: str) -> None:
    states = branch.get("States")
    if not isinstance(states, dict) or not states:
        raise Invalid(f"'MISSING_TRANSITION_TARGET: Field 'States' is required at /{where}'")
    start = branch.get("StartAt")
    if start not in states:
        raise Invalid(
            f"'MISSING_TRANSITION_TARGET: Missing 'Next' target: {start} at /{where}StartAt'"
        )
    for name, state in states.items():
        at = f"{where}States/{name}"
        if not isinstance(state, dict) or state.get("Type") not in _TYPES:
            raise Invalid(f"'SCHEMA_VALIDATION_FAILED: Field 'Type' is invalid at /{at}/Type'")
        targets = [state.get("Next"), state.get("Default")]
        targets += [c.get("Next") for c in state.get("Choices", []) + state.get("Catch", [])]
        for target in targets:
            if target is not None and target not in states:
                raise Invalid(
                    f"'MISSING_TRANSITION_TARGET: Missing 'Next' target: {target} at /{at}/Next'"
                )
        kind = state["Type"]
        terminal = kind in ("Choice", "Succeed", "Fail") or state.get("End")
        if not terminal and state.get("Next") is None:
            raise Invalid(
                "'MISSING_TRANSITION_TARGET: State must either be a terminal state or have "
                f"a 'Next' field at /{at}'"
            )
        if kind == "Task" and not state.get("Resource"):
            raise Invalid(f"'SCHEMA_VALIDATION_FAILED: Field 'Resource' is required at /{at}'")
        for index, sub in enumerate(state.get("Branches", [])):
            _check_branch(sub, f"{at}/Branches[{index}]/")
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if kind == "Map":
            if not isinstance(processor, dict):
                raise Invalid(
                    f"'SCHEMA_VALIDATION_FAILED: Field 'ItemProcessor' is required at /{at}'"
                )
            _check_branch(processor, f"{at}/ItemProcessor/")


# -- paths ---------------------------------------------------------------------------------


def read(path: str, value: Any, context: Mapping[str, Any]) -> Any:
    """``path`` applied to ``value`` (``$$`` to the context); ``States.Runtime`` as AWS words
    it when nothing matches."""
    root: Any = value
    rest = path[1:]
    if path.startswith("$$"):
        root, rest = context, path[2:]
    elif not path.startswith("$"):
        raise Failure("States.Runtime", f"Invalid path '{path}'")
    found = root
    position = 0
    for match in _STEP.finditer(rest):
        if match.start() != position:
            break
        position = match.end()
        key, index = match.groups()
        if key is not None and isinstance(found, Mapping) and key in found:
            found = found[key]
        elif index is not None and isinstance(found, list) and int(index) < len(found):
            found = found[int(index)]
        else:
            raise Failure(
                "States.Runtime",
                f"The JSONPath '{path}' could not be found in the input "
                f"'{fastjson.dumps_text(value)}'",
            )
    return found


def write(path: str | None, target: Any, result: Any) -> Any:
    """``ResultPath``: ``result`` placed in ``target`` at ``path``."""
    if path is None:
        return target
    if path == "$":
        return result
    steps = [m.group(1) for m in _STEP.finditer(path[1:])]
    out = dict(target) if isinstance(target, Mapping) else {}
    cursor = out
    for step in steps[:-1]:
        inner = cursor.get(step)
        inner = dict(inner) if isinstance(inner, Mapping) else {}
        cursor[step] = inner
        cursor = inner
    cursor[steps[-1]] = result
    return out


def template(value: Any, data: Any, context: Mapping[str, Any]) -> Any:
    """A ``Parameters``-style template: keys ending ``.$`` take a path's value."""
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if key.endswith(".$"):
                out[key[:-2]] = _dynamic(str(item), data, context)
            else:
                out[key] = template(item, data, context)
        return out
    if isinstance(value, list):
        return [template(v, data, context) for v in value]
    return value


def _dynamic(text: str, data: Any, context: Mapping[str, Any]) -> Any:
    if text.startswith("States.StringToJson("):
        return fastjson.loads(str(_dynamic(text[20:-1], data, context)))
    if text.startswith("States.JsonToString("):
        return fastjson.dumps_text(_dynamic(text[20:-1], data, context))
    if text.startswith("States.UUID()"):
        import uuid

        return str(uuid.uuid4())
    return read(text, data, context)


def effective_input(state: State, raw: Any, context: Mapping[str, Any]) -> Any:
    data = (
        raw
        if state.get("InputPath", "$") is None
        else read(state.get("InputPath", "$"), raw, context)
    )
    if data is None and state.get("InputPath", "$") is None:
        data = {}
    key = "ItemSelector" if "ItemSelector" in state else "Parameters"
    if key in state and state["Type"] != "Map":
        return template(state[key], data, context)
    return data


def effective_output(state: State, raw: Any, result: Any, context: Mapping[str, Any]) -> Any:
    if "ResultSelector" in state:
        result = template(state["ResultSelector"], result, context)
    if state["Type"] == "Pass" and "Result" in state:
        result = state["Result"]
    path = state.get("ResultPath", "$")
    merged = raw if path is None else write(path, raw, result)
    output_path = state.get("OutputPath", "$")
    if output_path is None:
        return {}
    return read(output_path, merged, context)


# -- Choice --------------------------------------------------------------------------------

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": lambda a, b: a == b,
    "LessThan": lambda a, b: a < b,
    "GreaterThan": lambda a, b: a > b,
    "LessThanEquals": lambda a, b: a <= b,
    "GreaterThanEquals": lambda a, b: a >= b,
}
_KINDS: dict[str, tuple[type, ...]] = {
    "String": (str,),
    "Numeric": (int, float),
    "Boolean": (bool,),
    "Timestamp": (str,),
}


def _rule(rule: State, data: Any, context: Mapping[str, Any]) -> bool:
    if "And" in rule:
        return all(_rule(r, data, context) for r in rule["And"])
    if "Or" in rule:
        return any(_rule(r, data, context) for r in rule["Or"])
    if "Not" in rule:
        return not _rule(rule["Not"], data, context)
    try:
        value = read(str(rule["Variable"]), data, context)
    except Failure:
        if "IsPresent" in rule:
            return not rule["IsPresent"]
        raise
    for key, expected in rule.items():
        if key == "IsPresent":
            return bool(expected)
        if key == "IsNull":
            return bool((value is None) == expected)
        if key == "StringMatches":
            return (
                isinstance(value, str)
                and re.fullmatch(re.escape(expected).replace(r"\*", ".*"), value) is not None
            )
        for kind, types in _KINDS.items():
            for op, compare in _COMPARE.items():
                if key == f"{kind}{op}" or key == f"{kind}{op}Path":
                    other = read(expected, data, context) if key.endswith("Path") else expected
                    if kind == "Numeric" and isinstance(value, bool):
                        return False
                    if not isinstance(value, types):
                        return False
                    if kind == "Timestamp":
                        return bool(compare(_stamp(str(value)), _stamp(str(other))))
                    return bool(compare(value, other))
        if key.startswith("Is") and key[2:] in ("String", "Numeric", "Boolean", "Timestamp"):
            kind = key[2:]
            ok = isinstance(value, _KINDS[kind]) and not (
                kind == "Numeric" and isinstance(value, bool)
            )
            return bool(ok == expected)
    raise Failure("States.Runtime", "Invalid Choice rule")


def _stamp(text: str) -> float:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def choose(state: State, data: Any, context: Mapping[str, Any]) -> str | None:
    for rule in state.get("Choices", []):
        if _rule(rule, data, context):
            return str(rule["Next"])
    default = state.get("Default")
    return None if default is None else str(default)


def wait_until(state: State, data: Any, context: Mapping[str, Any], now: float) -> float:
    if "Seconds" in state:
        return now + float(state["Seconds"])
    if "SecondsPath" in state:
        return now + float(read(state["SecondsPath"], data, context))
    if "Timestamp" in state:
        return _stamp(str(state["Timestamp"]))
    return _stamp(str(read(state["TimestampPath"], data, context)))


def fail_details(state: State, data: Any, context: Mapping[str, Any]) -> tuple[str, str]:
    error = state.get("Error")
    cause = state.get("Cause")
    if "ErrorPath" in state:
        error = read(state["ErrorPath"], data, context)
    if "CausePath" in state:
        cause = read(state["CausePath"], data, context)
    return str(error or ""), str(cause or "")


def map_items(state: State, data: Any, context: Mapping[str, Any]) -> list[Any]:
    items = read(state.get("ItemsPath", "$"), data, context)
    if not isinstance(items, list):
        raise Failure(
            "States.Runtime",
            f"Map state input must be an array; ItemsPath '{state.get('ItemsPath', '$')}' "
            "did not yield one",
        )
    return items


def map_item_input(
    state: State, data: Any, item: Any, index: int, context: Mapping[str, Any]
) -> Any:
    selector = state.get("ItemSelector", state.get("Parameters"))
    if selector is None:
        return item
    scoped = {**context, "Map": {"Item": {"Index": index, "Value": item}}}
    return template(selector, data, scoped)


# -- Retry and Catch -----------------------------------------------------------------------


def _matches(equals: list[str], error: str) -> bool:
    if error in equals or "States.ALL" in equals:
        return True
    return (
        "States.TaskFailed" in equals
        and error != "States.Timeout"
        and not error.startswith("States.Runtime")
    )


def find_retrier(state: State, error: str) -> int | None:
    for index, retrier in enumerate(state.get("Retry", [])):
        if _matches(list(retrier.get("ErrorEquals", [])), error):
            return index
    return None


def retry_delay(state: State, index: int, attempt: int) -> float | None:
    """Seconds before retry ``attempt`` (1 for the first), None when the retrier is spent."""
    retrier = state["Retry"][index]
    if attempt > int(retrier.get("MaxAttempts", 3)):
        return None
    delay = float(retrier.get("IntervalSeconds", 1)) * float(retrier.get("BackoffRate", 2.0)) ** (
        attempt - 1
    )
    if "MaxDelaySeconds" in retrier:
        delay = min(delay, float(retrier["MaxDelaySeconds"]))
    if retrier.get("JitterStrategy") == "FULL":
        delay = random.uniform(0, delay)
    return delay


def find_catcher(state: State, error: str) -> State | None:
    for catcher in state.get("Catch", []):
        if _matches(list(catcher.get("ErrorEquals", [])), error):
            return catcher  # type: ignore[no-any-return]
    return None
