"""A state machine definition, parsed and validated as CreateStateMachine does.

``parse(text_or_dict)`` returns a ``Definition`` or raises ``InvalidDefinition`` listing every
problem found, each as AWS words it: ``CODE: message at /json/pointer`` (codes
``INVALID_JSON_DESCRIPTION``, ``SCHEMA_VALIDATION_FAILED``, ``MISSING_TRANSITION_TARGET``,
``DUPLICATE_STATE_NAME``). The checks live in ``lamina.states.validation``.

A ``State`` keeps its raw ``fields`` (the JSON object, untouched) beside what the executor
reads most: ``next``/``end``, its effective ``query_language`` (the state's ``QueryLanguage``,
else the machine's), its retriers and catchers, and for Parallel and Map the nested
definitions (``branches``, ``processor``). States of nested definitions share the namespace of
the whole machine (names are unique across it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lamina import fastjson
from lamina.states.errors import InvalidDefinition
from lamina.states.retry import Catcher, Retrier

JSONPATH = "JSONPath"
JSONATA = "JSONata"


@dataclass(frozen=True, slots=True, eq=False)
class State:
    name: str
    type: str
    fields: dict[str, Any]
    query_language: str
    next: str | None = None
    end: bool = False
    pointer: str = ""
    retriers: tuple[Retrier, ...] = ()
    catchers: tuple[Catcher, ...] = ()
    branches: tuple[Definition, ...] = ()
    processor: Definition | None = None

    def get(self, name: str, default: Any = None) -> Any:
        return self.fields.get(name, default)

    @property
    def jsonata(self) -> bool:
        return self.query_language == JSONATA

    @property
    def terminal(self) -> bool:
        """Whether an execution (or branch) ends after this state when it succeeds."""
        return self.end or self.type in ("Succeed", "Fail")


@dataclass(frozen=True, slots=True, eq=False)
class Definition:
    start_at: str
    states: dict[str, State]
    query_language: str = JSONPATH
    timeout_seconds: int | None = None
    comment: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    def state(self, name: str) -> State:
        return self.states[name]

    @property
    def start(self) -> State:
        return self.states[self.start_at]


def parse(definition: str | bytes | dict[str, Any]) -> Definition:
    """The definition as a ``Definition``; ``InvalidDefinition`` with AWS's text if refused."""
    from lamina.states.validation import validate

    if isinstance(definition, dict):
        document: Any = definition
    else:
        try:
            document = fastjson.loads(definition)
        except ValueError as exc:
            raise InvalidDefinition.of([f"INVALID_JSON_DESCRIPTION: {exc}"]) from exc
    problems = validate(document)
    if problems:
        raise InvalidDefinition.of(problems)
    return build(document, JSONPATH, "")


def build(document: dict[str, Any], inherited: str, pointer: str) -> Definition:
    """A ``Definition`` from an already validated document."""
    # Only the machine's own QueryLanguage counts: nested branches and processors take it too,
    # whatever their Parallel or Map state declares (as AWS validates them).
    language = inherited
    if not pointer and "QueryLanguage" in document:
        language = JSONPATH if document["QueryLanguage"] == JSONPATH else JSONATA
    states = {
        name: _state(name, raw, language, f"{pointer}/States/{name}")
        for name, raw in document["States"].items()
    }
    timeout = document.get("TimeoutSeconds")
    return Definition(
        start_at=document["StartAt"],
        states=states,
        query_language=language,
        timeout_seconds=timeout if isinstance(timeout, int) else None,
        comment=document.get("Comment"),
        raw=document,
    )


def _state(name: str, raw: dict[str, Any], inherited: str, pointer: str) -> State:
    language = inherited
    if "QueryLanguage" in raw:
        language = JSONPATH if raw["QueryLanguage"] == JSONPATH else JSONATA
    kind = raw["Type"]
    branches: tuple[Definition, ...] = ()
    processor = None
    if kind == "Parallel":
        branches = tuple(
            build(branch, inherited, f"{pointer}/Branches[{i}]")
            for i, branch in enumerate(raw.get("Branches", []))
        )
    elif kind == "Map":
        key = "ItemProcessor" if "ItemProcessor" in raw else "Iterator"
        processor = build(raw[key], inherited, f"{pointer}/{key}")
    return State(
        name=name,
        type=kind,
        fields=raw,
        query_language=language,
        next=raw.get("Next"),
        end=raw.get("End") is True,
        pointer=pointer,
        retriers=tuple(_retrier(i, r) for i, r in enumerate(raw.get("Retry", []))),
        catchers=tuple(
            Catcher(i, tuple(c["ErrorEquals"]), c["Next"], c)
            for i, c in enumerate(raw.get("Catch", []))
        ),
        branches=branches,
        processor=processor,
    )


def _retrier(index: int, raw: dict[str, Any]) -> Retrier:
    return Retrier(
        index=index,
        error_equals=tuple(raw["ErrorEquals"]),
        interval_seconds=raw.get("IntervalSeconds", 1),
        max_attempts=raw.get("MaxAttempts", 3),
        backoff_rate=raw.get("BackoffRate", 2.0),
        max_delay_seconds=raw.get("MaxDelaySeconds"),
        jitter_strategy=raw.get("JitterStrategy", "NONE"),
    )
