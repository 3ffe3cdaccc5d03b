"""The checks CreateStateMachine makes, each problem worded as AWS words it.

``validate(document)`` returns every problem as ``CODE: message at /pointer`` (empty when the
definition is valid); ``lamina.states.definition.parse`` joins them into one
``InvalidDefinition``. Pointers write array members as AWS does
(``/States/T/Retry[0]/ErrorEquals[0]``, ``/States/P/Branches[0]/States/S``). Checked: the
document's shape (required fields, fields a state type or query language does not support,
value types), JSONPath and intrinsic syntax in path fields and
payload templates, ``Retry``/``Catch`` rules (``States.ALL`` alone and last), Choice rules (one
comparison each), transitions to states that do not exist, states nothing reaches, and state
names used twice anywhere in the machine (nested Parallel branches and Map processors included).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeGuard

from lamina.states import intrinsics, jsonata, jsonpath
from lamina.states.errors import ALL
from lamina.states.timestamps import parse_timestamp

_PROCESSING = {"InputPath", "OutputPath"}
_RESULTS = {"ResultPath", "ResultSelector"}
_JSONATA_ONLY = {"Arguments", "Output", "Items", "Condition"}
_JSONPATH_ONLY = {
    "InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "ItemsPath",
    "SecondsPath", "TimestampPath", "ErrorPath", "CausePath", "TimeoutSecondsPath",
    "HeartbeatSecondsPath", "MaxConcurrencyPath", "ToleratedFailurePercentagePath",
    "ToleratedFailureCountPath", "Iterator", "Result",
}  # fmt: skip
# A literal and its ...Path may not both be given (AWS: "There should only be one of...").
_EXCLUSIVE = (
    ("TimeoutSeconds", "TimeoutSecondsPath"),
    ("HeartbeatSeconds", "HeartbeatSecondsPath"),
    ("MaxConcurrency", "MaxConcurrencyPath"),
    ("ToleratedFailureCount", "ToleratedFailureCountPath"),
    ("ToleratedFailurePercentage", "ToleratedFailurePercentagePath"),
    ("Error", "ErrorPath"),
    ("Cause", "CausePath"),
    ("Items", "ItemsPath"),
)
# ...Path fields that must be reference paths into the input (not the context object).
_REFERENCE_FIELDS = (
    "SecondsPath", "TimestampPath", "TimeoutSecondsPath", "HeartbeatSecondsPath",
    "MaxConcurrencyPath", "ToleratedFailureCountPath", "ToleratedFailurePercentagePath",
)  # fmt: skip
_PATH_OR_INTRINSIC = "must be a valid JSONPath or a valid intrinsic function call"
_COMMON = {"Type", "Comment", "QueryLanguage"}
_FLOW = {"Next", "End"}

FIELDS: dict[str, set[str]] = {
    "Pass": _COMMON | _FLOW | _PROCESSING | {
        "Parameters", "ResultPath", "Result", "Assign", "Output",
    },
    "Task": _COMMON | _FLOW | _PROCESSING | _RESULTS | {
        "Resource", "Parameters", "Retry", "Catch", "TimeoutSeconds", "TimeoutSecondsPath",
        "HeartbeatSeconds", "HeartbeatSecondsPath", "Credentials", "Assign", "Arguments", "Output",
    },
    "Choice": _COMMON | _PROCESSING | {"Choices", "Default", "Assign", "Output"},
    "Wait": _COMMON | _FLOW | _PROCESSING | {
        "Seconds", "Timestamp", "SecondsPath", "TimestampPath", "Assign", "Output",
    },
    "Succeed": _COMMON | _PROCESSING | {"Output"},
    "Fail": _COMMON | {"Error", "Cause", "ErrorPath", "CausePath"},
    "Parallel": _COMMON | _FLOW | _PROCESSING | _RESULTS | {
        "Branches", "Parameters", "Retry", "Catch", "Assign", "Arguments", "Output",
    },
    "Map": _COMMON | _FLOW | _PROCESSING | _RESULTS | {
        "ItemProcessor", "Iterator", "ItemsPath", "Items", "ItemSelector", "Parameters",
        "ItemReader", "ItemBatcher", "ResultWriter", "MaxConcurrency", "MaxConcurrencyPath",
        "ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "ToleratedFailureCount",
        "ToleratedFailureCountPath", "Label", "Retry", "Catch", "Assign", "Arguments", "Output",
    },
}  # fmt: skip
REQUIRED: dict[str, tuple[str, ...]] = {
    "Task": ("Resource",),
    "Choice": ("Choices",),
    "Parallel": ("Branches",),
}
_TOP = {"StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage"}
_BRANCH_TOP = {"StartAt", "States", "Comment", "QueryLanguage"}
# AWS refuses QueryLanguage on an ItemProcessor (or Iterator): its states take the machine's.
_PROCESSOR_TOP = {"StartAt", "States", "Comment", "ProcessorConfig"}
_LANGUAGES = ("JSONPath", "JSONata")

COMPARISONS = {
    "StringEquals", "StringEqualsPath", "StringLessThan", "StringLessThanPath",
    "StringGreaterThan", "StringGreaterThanPath", "StringLessThanEquals",
    "StringLessThanEqualsPath", "StringGreaterThanEquals", "StringGreaterThanEqualsPath",
    "StringMatches", "NumericEquals", "NumericEqualsPath", "NumericLessThan",
    "NumericLessThanPath", "NumericGreaterThan", "NumericGreaterThanPath",
    "NumericLessThanEquals", "NumericLessThanEqualsPath", "NumericGreaterThanEquals",
    "NumericGreaterThanEqualsPath", "BooleanEquals", "BooleanEqualsPath", "TimestampEquals",
    "TimestampEqualsPath", "TimestampLessThan", "TimestampLessThanPath", "TimestampGreaterThan",
    "TimestampGreaterThanPath", "TimestampLessThanEquals", "TimestampLessThanEqualsPath",
    "TimestampGreaterThanEquals", "TimestampGreaterThanEqualsPath", "IsNull", "IsPresent",
    "IsNumeric", "IsString", "IsBoolean", "IsTimestamp",
}  # fmt: skip
_RETRY_FIELDS = {
    "ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds",
    "JitterStrategy", "Comment",
}  # fmt: skip
_CATCH_FIELDS = {"ErrorEquals", "Next", "ResultPath", "Output", "Assign", "Comment"}


def validate(document: Any) -> list[str]:
    """Every problem in ``document``, in the order AWS reports them (schema, then graph)."""
    checker = _Checker()
    if not isinstance(document, dict):
        return ["SCHEMA_VALIDATION_FAILED: Value is not an object at /"]
    checker.machine(document, "", "JSONPath", _TOP)
    if checker.problems:
        return checker.problems
    checker.graph(document, "")
    return checker.problems + checker.graph_problems


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.graph_problems: list[str] = []
        self.seen: dict[str, str] = {}

    def fail(self, code: str, message: str, pointer: str) -> None:
        self.problems.append(f"{code}: {message} at {pointer or '/'}")

    def schema(self, message: str, pointer: str) -> None:
        self.fail("SCHEMA_VALIDATION_FAILED", message, pointer)

    # -- shape -------------------------------------------------------------------------------

    def machine(self, doc: dict[str, Any], pointer: str, inherited: str, allowed: set[str]) -> None:
        for name in doc:
            if name not in allowed:
                self.schema(f"Field '{name}' is not supported", pointer)
        missing = [name for name in ("StartAt", "States") if name not in doc]
        if missing:
            self.schema(f"These fields are required: [{', '.join(missing)}]", pointer)
            return
        language = inherited
        if not pointer and "QueryLanguage" in doc:
            # Only the exact "JSONPath" is JSONPath: any other value reads as JSONata (and is
            # refused at its own path if it is not "JSONata").
            language = "JSONPath" if doc["QueryLanguage"] == "JSONPath" else "JSONata"
            if doc["QueryLanguage"] not in _LANGUAGES:
                self.schema("Value is not a valid QueryLanguage", f"{pointer}/QueryLanguage")
        if not isinstance(doc["StartAt"], str):
            self.schema("Value is not a string", f"{pointer}/StartAt")
        timeout = doc.get("TimeoutSeconds")
        if "TimeoutSeconds" in doc and not (_integer(timeout) and timeout > 0):
            self.schema("Value must be a positive integer", f"{pointer}/TimeoutSeconds")
        states = doc["States"]
        if not isinstance(states, dict) or not states:
            self.schema("Value must be a non-empty object", f"{pointer}/States")
            return
        for name, state in states.items():
            where = f"{pointer}/States/{name}"
            if name in self.seen:
                self.fail("DUPLICATE_STATE_NAME", f"Duplicate State name: {name}", where)
            self.seen[name] = where
            if len(name) > 80:
                self.schema("State name must be at most 80 characters", where)
            if not isinstance(state, dict):
                self.schema("Value is not an object", where)
                continue
            self.state(state, where, language)

    def state(self, state: dict[str, Any], where: str, inherited: str) -> None:
        kind = state.get("Type")
        if kind is None:
            self.schema("These fields are required: [Type]", where)
            return
        if kind not in FIELDS:
            self.schema(f"Value is not a valid state type: {kind}", f"{where}/Type")
            return
        language = inherited
        if "QueryLanguage" in state:
            declared = state["QueryLanguage"]
            language = "JSONPath" if declared == "JSONPath" else "JSONata"
            if declared not in _LANGUAGES:
                self.schema("Value is not a valid QueryLanguage", f"{where}/QueryLanguage")
            elif inherited == "JSONata" and declared == "JSONPath":
                self.schema(
                    "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state "
                    "machine",
                    where,
                )
        excluded, other = (
            (_JSONPATH_ONLY, "JSONPath") if language == "JSONata" else (_JSONATA_ONLY, "JSONata")
        )
        for name in state:
            if name not in FIELDS[kind]:
                self.schema(f"Field '{name}' is not supported", where)
            elif name in excluded:
                self.schema(
                    f"The QueryLanguage is set to '{language}', but field '{name}' is only "
                    f"supported for the '{other}' QueryLanguage",
                    where,
                )
        required = list(REQUIRED.get(kind, ()))
        if kind == "Map" and "ItemProcessor" not in state and "Iterator" not in state:
            required.append("ItemProcessor")
        missing = [name for name in required if name not in state]
        if missing:
            self.schema(f"These fields are required: [{', '.join(missing)}]", where)
        self.flow(kind, state, where)
        if language == "JSONPath":
            self.paths(state, where)
            self.numbers(state, where)
        else:
            self.expressions(state, where)
        self.handlers(state, where)
        if kind == "Choice":
            self.choices(state, where, language)
        if kind == "Wait":
            given = [
                n for n in ("Seconds", "Timestamp", "SecondsPath", "TimestampPath") if n in state
            ]
            if len(given) > 1:
                self.schema(
                    "There should only be one of the following fields: "
                    "[Seconds, SecondsPath, Timestamp, TimestampPath]",
                    where,
                )
            elif not given:
                self.schema(
                    "A Wait state must have exactly one of: "
                    "Seconds, Timestamp, SecondsPath, TimestampPath",
                    where,
                )
        if kind == "Parallel" and isinstance(state.get("Branches"), list):
            for i, branch in enumerate(state["Branches"]):
                if isinstance(branch, dict):
                    self.machine(branch, f"{where}/Branches[{i}]", inherited, _BRANCH_TOP)
                else:
                    self.schema("Value is not an object", f"{where}/Branches[{i}]")
        if kind == "Map":
            key = "ItemProcessor" if "ItemProcessor" in state else "Iterator"
            if isinstance(state.get(key), dict):
                self.machine(state[key], f"{where}/{key}", inherited, _PROCESSOR_TOP)

    def flow(self, kind: str, state: dict[str, Any], where: str) -> None:
        if kind in ("Choice", "Succeed", "Fail"):
            return
        has_next, end = "Next" in state, state.get("End")
        if "End" in state and not isinstance(end, bool):
            self.schema("Value is not a boolean", f"{where}/End")
        if has_next and end is True:
            self.schema("Only one of 'Next' or 'End' can be set", where)
        elif not has_next and end is not True:
            self.schema("Missing 'Next' or 'End' field", where)
        if has_next and not isinstance(state["Next"], str):
            self.schema("Value is not a string", f"{where}/Next")

    def paths(self, state: dict[str, Any], where: str) -> None:
        for name in ("InputPath", "OutputPath", "ItemsPath"):
            if name in state and state[name] is not None and not _valid_path(state[name]):
                self.schema("Value must be a valid JSONPath.", f"{where}/{name}")
        result_path = state.get("ResultPath")
        if result_path is not None and not _valid_reference(result_path):
            self.schema(
                "Value is not a Reference Path",
                f"{where}/ResultPath",
            )
        for name in _REFERENCE_FIELDS:
            if name in state and not _valid_reference(state[name]):
                self.schema("Value is not a Reference Path", f"{where}/{name}")
        for name in ("ErrorPath", "CausePath"):
            if name in state and not (
                _valid_reference(state[name]) or _valid_intrinsic(state[name])
            ):
                self.schema(
                    f"The value for the field '{name}' {_PATH_OR_INTRINSIC}",
                    f"{where}/{name}",
                )
        for name in ("Parameters", "ResultSelector", "ItemSelector", "Assign"):
            if name in state:
                self.template(state[name], f"{where}/{name}")

    def numbers(self, state: dict[str, Any], where: str) -> None:
        checks = (
            ("Seconds", 0, "a non-negative integer"),
            ("TimeoutSeconds", 1, "a positive integer"),
            ("HeartbeatSeconds", 1, "a positive integer"),
            ("MaxConcurrency", 0, "a non-negative integer"),
            ("ToleratedFailureCount", 0, "a non-negative integer"),
        )
        for name, least, wanted in checks:
            value = state.get(name)
            if name not in state:
                continue
            if not _integer(value):
                self.schema(f"Value must be {wanted}", f"{where}/{name}")
            elif value < least:
                self.schema(f"Minimum value is {least}", f"{where}/{name}")
        percentage = state.get("ToleratedFailurePercentage")
        if "ToleratedFailurePercentage" in state:
            at = f"{where}/ToleratedFailurePercentage"
            if not _number(percentage):
                self.schema("Value must be a number between 0 and 100", at)
            elif percentage < 0:
                self.schema("Minimum value is 0.0", at)
            elif percentage > 100:
                self.schema("Maximum value is 100.0", at)
        for pair in _EXCLUSIVE:
            if all(name in state for name in pair):
                self.schema(
                    f"There should only be one of the following fields: [{', '.join(pair)}]", where
                )
        if "Timestamp" in state and parse_timestamp(state["Timestamp"]) is None:
            self.schema("Value is not a valid ISO-8601 timestamp", f"{where}/Timestamp")
        timeout, heartbeat = state.get("TimeoutSeconds"), state.get("HeartbeatSeconds")
        if _integer(timeout) and _integer(heartbeat) and heartbeat >= timeout:
            self.schema(
                "HeartbeatSeconds must be smaller than TimeoutSeconds", f"{where}/HeartbeatSeconds"
            )

    def expressions(self, state: dict[str, Any], where: str) -> None:
        for name, value in state.items():
            if name in ("ItemProcessor", "Iterator", "Branches", "Retry"):
                continue
            if name == "Choices" and isinstance(value, list):
                for i, rule in enumerate(value):
                    for code, problem, at in jsonata.check(rule, f"{where}/Choices[{i}]"):
                        self.fail(code, problem, at)
                continue
            for code, problem, at in jsonata.check(value, f"{where}/{name}"):
                self.fail(code, problem, at)

    def template(self, value: Any, where: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if key.endswith(".$"):
                    if not (
                        isinstance(inner, str)
                        and (_valid_any_path(inner) or _valid_intrinsic(inner))
                    ):
                        self.schema(
                            f"The value for the field '{key}' {_PATH_OR_INTRINSIC}",
                            where,
                        )
                else:
                    self.template(inner, f"{where}/{key}")
        elif isinstance(value, list):
            for i, inner in enumerate(value):
                self.template(inner, f"{where}[{i}]")

    def handlers(self, state: dict[str, Any], where: str) -> None:
        for kind, allowed in (("Retry", _RETRY_FIELDS), ("Catch", _CATCH_FIELDS)):
            entries = state.get(kind)
            if entries is None:
                continue
            if not isinstance(entries, list):
                self.schema("Value is not an array", f"{where}/{kind}")
                continue
            for i, entry in enumerate(entries):
                at = f"{where}/{kind}[{i}]"
                if not isinstance(entry, dict):
                    self.schema("Value is not an object", at)
                    continue
                for name in entry:
                    if name not in allowed:
                        self.schema(f"Field '{name}' is not supported", at)
                required = ["ErrorEquals"] + (["Next"] if kind == "Catch" else [])
                missing = [name for name in required if name not in entry]
                if missing:
                    self.schema(f"These fields are required: [{', '.join(missing)}]", at)
                    continue
                errors = entry["ErrorEquals"]
                if (
                    not isinstance(errors, list)
                    or not errors
                    or not all(isinstance(e, str) for e in errors)
                ):
                    self.schema("Value must be a non-empty array of strings", f"{at}/ErrorEquals")
                    continue
                if ALL in errors and (len(errors) > 1 or i != len(entries) - 1):
                    self.schema(
                        f"{ALL} must appear alone and at end of list",
                        f"{at}/ErrorEquals[{errors.index(ALL)}]",
                    )
                if kind == "Retry":
                    self.retrier(entry, at)

    def retrier(self, entry: dict[str, Any], at: str) -> None:
        checks: tuple[tuple[str, Callable[[Any], bool], str], ...] = (
            ("IntervalSeconds", lambda v: _integer(v) and v >= 1, "a positive integer"),
            ("MaxAttempts", lambda v: _integer(v) and v >= 0, "a non-negative integer"),
            (
                "BackoffRate",
                lambda v: _number(v) and v >= 1.0,
                "a number greater than or equal to 1.0",
            ),
            ("MaxDelaySeconds", lambda v: _integer(v) and v >= 1, "a positive integer"),
            ("JitterStrategy", lambda v: v in ("FULL", "NONE"), "one of [FULL, NONE]"),
        )
        for name, ok, wanted in checks:
            if name in entry and not ok(entry[name]):
                self.schema(f"Value must be {wanted}", f"{at}/{name}")

    def choices(self, state: dict[str, Any], where: str, language: str) -> None:
        rules = state.get("Choices")
        if not isinstance(rules, list) or not rules:
            if "Choices" in state:
                self.schema("Value must be a non-empty array", f"{where}/Choices")
            return
        for i, rule in enumerate(rules):
            at = f"{where}/Choices[{i}]"
            if not isinstance(rule, dict):
                self.schema("Value is not an object", at)
                continue
            if "Next" not in rule:
                self.schema("These fields are required: [Next]", at)
            if language == "JSONata":
                for name in rule:
                    if name not in ("Condition", "Next", "Comment", "Assign", "Output"):
                        self.schema(f"Field '{name}' is not supported", at)
                if "Condition" not in rule:
                    self.schema("These fields are required: [Condition]", at)
            else:
                self.rule(rule, at, top=True)

    def rule(self, rule: dict[str, Any], at: str, *, top: bool) -> None:
        extra = {"Next", "Comment", "Assign"} if top else {"Comment"}
        operators = [n for n in rule if n in COMPARISONS or n in ("And", "Or", "Not")]
        for name in rule:
            if name not in COMPARISONS and name not in extra | {"And", "Or", "Not", "Variable"}:
                self.schema(f"Field '{name}' is not supported", at)
        if len(operators) != 1:
            self.schema("A Choice Rule must have exactly one comparison operator", at)
            return
        operator = operators[0]
        if operator in ("And", "Or"):
            inner = rule[operator]
            if not isinstance(inner, list) or not inner:
                self.schema("Value must be a non-empty array", f"{at}/{operator}")
                return
            for j, sub in enumerate(inner):
                if isinstance(sub, dict):
                    self.rule(sub, f"{at}/{operator}[{j}]", top=False)
                else:
                    self.schema("Value is not an object", f"{at}/{operator}[{j}]")
            return
        if operator == "Not":
            if isinstance(rule["Not"], dict):
                self.rule(rule["Not"], f"{at}/Not", top=False)
            else:
                self.schema("Value is not an object", f"{at}/Not")
            return
        if "Variable" not in rule:
            self.schema("These fields are required: [Variable]", at)
        elif not _valid_any_path(rule["Variable"]):
            self.schema("Value must be a valid JSONPath.", f"{at}/Variable")
        value = rule[operator]
        if operator.endswith("Path"):
            if not _valid_any_path(value):
                self.schema(
                    "Value must be a valid JSONPath.",
                    f"{at}/{operator}",
                )
        elif operator.startswith("Is") or operator == "BooleanEquals":
            if not isinstance(value, bool):
                self.schema("Value is not a boolean", f"{at}/{operator}")
        elif operator.startswith("Numeric"):
            if not _number(value):
                self.schema("Value is not a number", f"{at}/{operator}")
        elif not isinstance(value, str):
            self.schema("Value is not a string", f"{at}/{operator}")

    # -- graph -------------------------------------------------------------------------------

    def graph(self, doc: dict[str, Any], pointer: str) -> None:
        states: dict[str, Any] = doc["States"]
        targets: list[tuple[str, str]] = [(doc["StartAt"], f"{pointer}/StartAt")]
        edges: dict[str, list[str]] = {}
        for name, state in states.items():
            where = f"{pointer}/States/{name}"
            out: list[tuple[str, str]] = []
            if "Next" in state and state.get("Type") != "Choice":
                out.append((state["Next"], f"{where}/Next"))
            if state.get("Type") == "Choice":
                for i, rule in enumerate(state.get("Choices", [])):
                    out.append((rule["Next"], f"{where}/Choices[{i}]/Next"))
                if "Default" in state:
                    out.append((state["Default"], f"{where}/Default"))
            for i, catcher in enumerate(state.get("Catch", []) or []):
                out.append((catcher["Next"], f"{where}/Catch[{i}]/Next"))
            targets.extend(out)
            edges[name] = [target for target, _ in out]
            if state.get("Type") == "Parallel":
                for i, branch in enumerate(state["Branches"]):
                    self.graph(branch, f"{where}/Branches[{i}]")
            elif state.get("Type") == "Map":
                key = "ItemProcessor" if "ItemProcessor" in state else "Iterator"
                self.graph(state[key], f"{where}/{key}")
        for target, at in targets:
            if target not in states:
                self.graph_problems.append(
                    f"MISSING_TRANSITION_TARGET: Missing 'Next' target: {target} at {at}"
                )
        if not any(
            s.get("End") is True or s.get("Type") in ("Succeed", "Fail") for s in states.values()
        ):
            # AWS reports this without a location, and it stands in for the reachability walk.
            self.graph_problems.append("MISSING_END_STATE: Workflow has no terminal state at null")
            return
        reached, frontier = set(), [doc["StartAt"]]
        while frontier:
            name = frontier.pop()
            if name in reached or name not in states:
                continue
            reached.add(name)
            frontier.extend(edges.get(name, []))
        for name in states:
            if name not in reached:
                self.graph_problems.append(
                    f'MISSING_TRANSITION_TARGET: State "{name}" is not reachable.'
                    f" at {pointer}/States/{name}"
                )


def _integer(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _valid_path(value: Any) -> bool:
    try:
        jsonpath.compile(value)
    except jsonpath.PathError:
        return False
    return True


def _valid_reference(value: Any) -> bool:
    try:
        return jsonpath.compile(value).definite
    except jsonpath.PathError:
        return False


def _valid_any_path(value: Any) -> bool:
    """A path a payload template or Choice rule may use: ``$``, ``$$`` (context) or ``$var``."""
    if not isinstance(value, str) or not value.startswith("$"):
        return False
    if value.startswith("$$"):
        return _valid_path(value[1:])
    if value == "$" or value[1] in ".[":
        return _valid_path(value)
    name, _, _rest = _split_variable(value)
    return bool(name) and _valid_path("$" + value[1 + len(name) :])


def _split_variable(value: str) -> tuple[str, str, str]:
    end = 1
    while end < len(value) and (value[end].isalnum() or value[end] == "_"):
        end += 1
    return value[1:end], "", value[end:]


def _valid_intrinsic(value: Any) -> bool:
    if not isinstance(value, str) or not value.startswith("States."):
        return False
    try:
        intrinsics.compile(value)
    except intrinsics.IntrinsicSyntaxError:
        return False
    return True
