"""The numbers a state reads from its definition or, dynamically, from its input: a Task's
``TimeoutSeconds``/``HeartbeatSeconds`` (or their ``...Path``), a Map's ``MaxConcurrency`` and
``ToleratedFailureCount``/``Percentage`` (or their ``...Path``), and ``ItemBatcher``'s batches.
In JSONata states each may be a ``{% %}`` expression instead.

A dynamic value that is not a number in range fails the state with ``States.Runtime``
(JSONPath) or ``States.QueryEvaluationError`` (JSONata).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lamina import fastjson
from lamina.states import jsonata, payload
from lamina.states.definition import State
from lamina.states.errors import QUERY_EVALUATION_ERROR, RUNTIME, StatesError
from lamina.states.processing import apply_input_path, bindings_for, effective_input
from lamina.states.scope import Scope


@dataclass(frozen=True, slots=True)
class TaskLimits:
    timeout_seconds: int | None
    heartbeat_seconds: int | None


@dataclass(frozen=True, slots=True)
class MapLimits:
    max_concurrency: int  # 0: no limit
    tolerated_failure_count: int | None
    tolerated_failure_percentage: float | None


def _number(state: State, name: str, raw_input: Any, scope: Scope, *, integer: bool = True) -> Any:
    """The field ``name`` (or ``namePath``), or None when the state has neither."""
    fields = state.fields
    if state.jsonata:
        if name not in fields:
            return None
        value = jsonata.resolve(fields[name], bindings_for(scope, raw_input), name)
        error = QUERY_EVALUATION_ERROR
    elif f"{name}Path" in fields:
        document = apply_input_path(fields.get("InputPath", "$"), raw_input, scope)
        value = payload.read(fields[f"{name}Path"], document, scope)
        error = RUNTIME
    else:
        return fields.get(name)
    wanted = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, wanted) or value < 0:
        kind = "a non-negative integer" if integer else "a non-negative number"
        raise StatesError(
            error, f"The value of {name} must be {kind}, got: {payload.compact(value)}"
        )
    return value


def task_limits(state: State, raw_input: Any, scope: Scope) -> TaskLimits:
    """A Task's timeout and heartbeat in seconds (None: not set)."""
    return TaskLimits(
        _number(state, "TimeoutSeconds", raw_input, scope),
        _number(state, "HeartbeatSeconds", raw_input, scope),
    )


def map_limits(state: State, raw_input: Any, scope: Scope) -> MapLimits:
    """A Map state's concurrency bound and failure tolerance."""
    percentage = _number(state, "ToleratedFailurePercentage", raw_input, scope, integer=False)
    if percentage is not None and percentage > 100:
        raise StatesError(
            QUERY_EVALUATION_ERROR if state.jsonata else RUNTIME,
            f"The value of ToleratedFailurePercentage must be between 0 and 100, got: {percentage}",
        )
    return MapLimits(
        _number(state, "MaxConcurrency", raw_input, scope) or 0,
        _number(state, "ToleratedFailureCount", raw_input, scope),
        float(percentage) if percentage is not None else None,
    )


def batches(state: State, items: list[Any], raw_input: Any, scope: Scope) -> list[Any]:
    """``items`` grouped as ``ItemBatcher`` says: each batch is ``{"Items": [...]}`` plus
    ``"BatchInput"`` when given; batches close at ``MaxItemsPerBatch`` items or before they
    would pass ``MaxInputBytesPerBatch`` bytes of JSON. Without an ItemBatcher, the items."""
    batcher = state.fields.get("ItemBatcher")
    if batcher is None:
        return items
    shim = State(state.name, state.type, batcher, state.query_language, pointer=state.pointer)
    max_items = _number(shim, "MaxItemsPerBatch", raw_input, scope) or 0
    max_bytes = _number(shim, "MaxInputBytesPerBatch", raw_input, scope) or 0
    batch_input = None
    if "BatchInput" in batcher:
        if state.jsonata:
            batch_input = jsonata.resolve(
                batcher["BatchInput"], bindings_for(scope, raw_input), "ItemBatcher/BatchInput"
            )
        else:
            batch_input = payload.template(
                batcher["BatchInput"], effective_input(state, raw_input, scope), scope
            )
    groups: list[list[Any]] = []
    size = 0
    for item in items:
        item_size = len(fastjson.dumps(item)) + 1
        full = bool(groups) and (
            (max_items and len(groups[-1]) >= max_items)
            or (max_bytes and size + item_size > max_bytes)
        )
        if not groups or full:
            groups.append([])
            size = 1  # the batch's JSON array: two brackets, and a comma per item after the first
        groups[-1].append(item)
        size += item_size
    out = []
    for group in groups:
        batch: dict[str, Any] = {"Items": group}
        if batch_input is not None:
            batch["BatchInput"] = batch_input
        out.append(batch)
    return out
