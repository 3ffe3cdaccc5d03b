"""``TestState``: one state's definition run alone on an input, as the API documents it.

The state is parsed inside a definition of its own (its query language, and a ``Succeed`` stub
for every state it names, so ``Next``, Choice rules and ``Catch`` targets resolve) and run by
the executor once, with neither ``Retry`` nor ``Catch``: TestState never retries. A failure is
then ``RETRIABLE`` when a retrier matches it (``nextState`` is the state itself),
``CAUGHT_ERROR`` when a catcher does (the catcher's output and ``Next``), else ``FAILED``; a
state that completes is ``SUCCEEDED`` with ``nextState`` unless it ends the workflow.
``inspectionLevel`` ``DEBUG`` (or ``TRACE``) adds ``inspectionData``: the raw input, the input
after ``InputPath`` and ``Parameters`` (JSONPath) or ``Arguments`` (JSONata), the variables,
and once the state has a result (a Pass state's, a task's), that ``result`` and, for JSONPath
states, the result after ``ResultSelector`` and after ``ResultPath``. Nothing is stored and
no history is kept.
"""

from __future__ import annotations

from typing import Any

from lamina import fastjson, ids
from lamina.clock import Clock
from lamina.services.stepfunctions import definitions
from lamina.services.stepfunctions.errors import InvalidDefinition, InvalidExecutionInput
from lamina.services.stepfunctions.executor import Executor
from lamina.services.stepfunctions.names import Names
from lamina.states import (
    Scope,
    StatesError,
    effective_input,
    error_output,
    find_catcher,
    find_retrier,
    payload,
)
from lamina.states.processing import apply_input_path, apply_result_path

Doc = dict[str, Any]
NAME = "TestState"
# The states that may have a ResultSelector (a Pass state's result has no such stage).
_SELECTING = frozenset({"Task", "Map", "Parallel"})


def _named(state: Doc) -> set[str]:
    """The states a state's transitions name (Next, Default, Choice rules, Catch)."""
    names = {state.get("Next"), state.get("Default")}
    names |= {rule.get("Next") for rule in state.get("Choices") or [] if isinstance(rule, dict)}
    names |= {c.get("Next") for c in state.get("Catch") or [] if isinstance(c, dict)}
    return {n for n in names if isinstance(n, str)}


def _definition(state: Doc) -> str:
    stubs = {n: {"Type": "Succeed"} for n in _named(state) if n != NAME}
    top: Doc = {"StartAt": NAME, "States": {NAME: state, **stubs}}
    if state.get("QueryLanguage"):
        top["QueryLanguage"] = state["QueryLanguage"]
    return fastjson.dumps_text(top)


def _loaded(text: str, what: str) -> Any:
    try:
        return fastjson.loads(text)
    except ValueError:
        raise InvalidExecutionInput(f"Invalid {what}: '{text[:100]}'") from None


async def run(executor: Executor, names: Names, clock: Clock, params: Doc) -> Doc:
    given = _loaded(str(params["definition"]), "State Definition")
    if not isinstance(given, dict) or "Type" not in given:
        raise InvalidDefinition("Invalid State Machine Definition: 'the state has no Type'")
    full = definitions.check(_definition(given))
    bare = {k: v for k, v in given.items() if k not in ("Retry", "Catch")}
    runnable = definitions.check(_definition(bare)).states[NAME]
    state = full.states[NAME]
    text = str(params.get("input") or "{}")
    value = _loaded(text, "State Machine Execution Input")
    variables = _loaded(str(params.get("variables") or "{}"), "variables")
    doc: Doc = {
        "executionArn": names.express(NAME, NAME, ids.request_id()),
        "name": NAME,
        "input": text,
        "startDate": clock.wall(),
    }
    machine = {
        "definition": _definition(bare),
        "stateMachineArn": names.machine(NAME),
        "name": NAME,
        "roleArn": params.get("roleArn"),
    }
    answer: Doc = {}
    noted: Doc | None = None
    if str(params.get("inspectionLevel") or "INFO") in ("DEBUG", "TRACE"):
        inspection = answer["inspectionData"] = _inspection(runnable, value, text, variables, doc)
        noted = {}
    try:
        following, output = await executor.run_state(
            machine, doc, runnable, value, variables, noted
        )
    except StatesError as failure:
        if noted:
            _result_stages(inspection, runnable, value, noted["result"], variables, doc)
        answer |= {"error": failure.error, "cause": failure.cause}
        catcher = find_catcher(state, failure.error) if state.type != "Choice" else None
        if find_retrier(state, failure.error) is not None:
            return answer | {"status": "RETRIABLE", "nextState": NAME}
        if catcher is not None:
            scope = Scope({}, variables)
            caught, _ = error_output(catcher, state, value, failure.error, failure.cause, scope)
            return answer | {
                "status": "CAUGHT_ERROR",
                "nextState": catcher.next,
                "output": fastjson.dumps_text(caught),
            }
        return answer | {"status": "FAILED"}
    if noted:
        _result_stages(inspection, runnable, value, noted["result"], variables, doc)
    answer |= {"status": "SUCCEEDED", "output": fastjson.dumps_text(output)}
    if following is not None:
        answer["nextState"] = following
    return answer


def _inspection(state: Any, value: Any, text: str, variables: Doc, doc: Doc) -> Doc:
    data: Doc = {"input": text, "variables": fastjson.dumps_text(variables)}
    scope = Scope({"Execution": {"Id": doc["executionArn"], "Name": NAME}}, variables)
    try:
        if state.jsonata:
            data["afterArguments"] = fastjson.dumps_text(effective_input(state, value, scope))
        else:
            after = apply_input_path(state.fields.get("InputPath", "$"), value, scope)
            data["afterInputPath"] = fastjson.dumps_text(after)
            data["afterParameters"] = fastjson.dumps_text(effective_input(state, value, scope))
    except StatesError:
        pass  # the run reports the failure itself
    return data


def _result_stages(
    data: Doc, state: Any, value: Any, result: Any, variables: Doc, doc: Doc
) -> None:
    """The result, then (JSONPath) the result after ``ResultSelector`` and after
    ``ResultPath``, as the run computed them (a stage that fails leaves the rest out)."""
    data["result"] = fastjson.dumps_text(result)
    if state.jsonata:
        return
    scope = Scope({"Execution": {"Id": doc["executionArn"], "Name": NAME}}, variables)
    try:
        if state.type in _SELECTING:
            if "ResultSelector" in state.fields:
                result = payload.template(state.fields["ResultSelector"], result, scope)
            data["afterResultSelector"] = fastjson.dumps_text(result)
        combined = apply_result_path(state.fields.get("ResultPath", "$"), value, result)
        data["afterResultPath"] = fastjson.dumps_text(combined)
    except StatesError:
        pass  # the run reports the failure itself
