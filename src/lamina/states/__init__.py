"""The Amazon States Language: definitions, data processing, Choice rules, Retry and Catch.

Pure logic (no I/O, no clock: time arrives as an argument), for the Step Functions service and
its executor. The surface, all importable from ``lamina.states``:

* ``parse(definition) -> Definition`` — validated as CreateStateMachine does; raises
  ``InvalidDefinition`` (``code``/``status`` for the wire) with AWS's message text.
  ``Definition``: ``start_at``, ``states`` (name → ``State``), ``query_language``,
  ``timeout_seconds``, ``comment``, ``raw``. ``State``: ``name``, ``type``, ``fields`` (raw),
  ``next``, ``end``, ``terminal``, ``query_language``/``jsonata``, ``retriers``, ``catchers``,
  ``branches`` (Parallel), ``processor`` (Map's ``ItemProcessor``/``Iterator``).
* ``Scope(context, variables)`` — ``$$`` and the variables; ``assigned(vars)`` applies an
  ``Assign``, ``map_item(index, value)`` sets ``$$.Map.Item``, ``with_context(State=...)``.
* ``effective_input(state, raw_input, scope)``; ``pass_result(state, effective)``;
  ``effective_output(state, raw_input, result, scope) -> (output, assigned)`` (for Wait and
  Succeed pass the effective input as ``result``; Choice uses ``choice_output``).
* ``choose(state, raw_input, scope) -> str | None``; ``match`` (the rule) and
  ``choice_output(state, rule, raw_input, scope) -> (output, assigned)``.
* ``wait_until(state, raw_input, scope, now) -> datetime``;
  ``fail_details(state, raw_input, scope) -> (error, cause)``.
* ``map_items(state, raw_input, scope) -> list``;
  ``map_item_input(state, item, index, raw_input, scope)``.
* ``task_limits(state, raw_input, scope)`` (``timeout_seconds``, ``heartbeat_seconds``),
  ``map_limits(...)`` (``max_concurrency``, ``tolerated_failure_count``/``_percentage``),
  ``batches(state, items, raw_input, scope)`` (``ItemBatcher``).
* ``find_retrier(state, error)``, ``retry_delay(retrier, attempt, random)`` (attempt from 1;
  None when exhausted), ``find_catcher(state, error)`` (``catcher.next``),
  ``error_output(catcher, state, raw_input, error, cause, scope) -> (output, assigned)``.
* ``StatesError(error, cause)`` for runtime failures; ``in_state(name, event_id)`` adds AWS's
  "An error occurred while executing the state ..." prefix. Error-name constants live in
  ``lamina.states.errors``.
"""

from lamina.states.choice import choice_output, choose, match
from lamina.states.definition import JSONATA, JSONPATH, Definition, State, parse
from lamina.states.errors import InvalidDefinition, StatesError
from lamina.states.limits import MapLimits, TaskLimits, batches, map_limits, task_limits
from lamina.states.processing import (
    effective_input,
    effective_output,
    error_output,
    fail_details,
    map_item_input,
    map_items,
    pass_result,
    wait_until,
)
from lamina.states.retry import Catcher, Retrier, find_catcher, find_retrier, retry_delay
from lamina.states.scope import Scope
from lamina.states.timestamps import parse_timestamp

__all__ = [
    "JSONATA",
    "JSONPATH",
    "Catcher",
    "Definition",
    "InvalidDefinition",
    "MapLimits",
    "Retrier",
    "Scope",
    "State",
    "StatesError",
    "TaskLimits",
    "batches",
    "choice_output",
    "choose",
    "effective_input",
    "effective_output",
    "error_output",
    "fail_details",
    "find_catcher",
    "find_retrier",
    "map_item_input",
    "map_items",
    "map_limits",
    "match",
    "parse",
    "parse_timestamp",
    "pass_result",
    "retry_delay",
    "task_limits",
    "wait_until",
]
