"""JSONata-language data: ``{% expression %}`` strings, evaluated by jsonata-python.

A string is an expression when it starts with ``{%`` and ends with ``%}``; ``resolve`` walks any
JSON value (``Arguments``, ``Output``, ``Assign``, ``Items``...) and replaces each expression by
its value. Expressions see ``$states`` (``input``, ``result``, ``errorOutput``, ``context``) and
every variable by name, and AWS's extra functions: ``$partition``, ``$range``, ``$hash``,
``$random``, ``$uuid``, ``$parse``. A failure (syntax, a type error, an undefined value where a
value is needed) raises ``StatesError("States.QueryEvaluationError", ...)``.

Compiled expressions are cached; jsonata-python's evaluator keeps per-call state on the compiled
object, so a cached expression is only evaluated under a lock.
"""

from __future__ import annotations

import random as _random
import re
import threading
import uuid
from functools import lru_cache
from typing import Any

from jsonata import JException, Jsonata, Utils  # type: ignore[import-untyped]

from lamina import fastjson
from lamina.states.errors import QUERY_EVALUATION_ERROR, StatesError
from lamina.states.intrinsics import hash_hex

_ALGORITHMS = ("MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512")


def is_expression(value: Any) -> bool:
    return (
        isinstance(value, str)
        and value.startswith("{%")
        and value.endswith("%}")
        and len(value) >= 4
    )


def body(value: str) -> str:
    return value[2:-2].strip()


def _partition(items: Any, size: Any) -> list[Any]:
    if not isinstance(items, list) or not isinstance(size, int | float) or size < 1:
        raise StatesError(QUERY_EVALUATION_ERROR, "$partition expects an array and a positive size")
    step = int(size)
    return [items[i : i + step] for i in range(0, len(items), step)]


def _range(start: Any, end: Any, step: Any = 1) -> list[Any]:
    if (
        not all(isinstance(v, int | float) and float(v).is_integer() for v in (start, end, step))
        or not step
    ):
        raise StatesError(
            QUERY_EVALUATION_ERROR, "$range expects integer start, end and a non-zero step"
        )
    start, end, step = int(start), int(end), int(step)
    return list(range(start, end + (1 if step > 0 else -1), step))


def _hash(data: Any, algorithm: Any = "SHA-256") -> str:
    if not isinstance(data, str) or algorithm not in _ALGORITHMS:
        raise StatesError(
            QUERY_EVALUATION_ERROR, f"$hash expects a string and one of {', '.join(_ALGORITHMS)}"
        )
    return hash_hex(data, algorithm)


def _rand(seed: Any = None) -> float:
    return (_random.Random(seed) if seed is not None else _random).random()


def _uuid() -> str:
    return str(uuid.uuid4())


def _parse(text: Any) -> Any:
    if not isinstance(text, str):
        raise StatesError(QUERY_EVALUATION_ERROR, "$parse expects a string")
    try:
        return fastjson.loads(text)
    except ValueError as exc:
        raise StatesError(QUERY_EVALUATION_ERROR, f"$parse: {text!r} is not JSON") from exc


_EXTRAS = {
    "partition": _partition,
    "range": _range,
    "hash": _hash,
    "random": _rand,
    "uuid": _uuid,
    "parse": _parse,
}


class _Compiled:
    def __init__(self, text: str) -> None:
        self.expression = Jsonata(text)
        # Keep JSON null apart from JSONata's undefined (None) until the value leaves evaluate.
        self.expression.set_output_convert_nulls(False)
        for name, function in _EXTRAS.items():
            self.expression.register_lambda(name, function)
        # AWS leaves $eval out of its JSONata: calling it fails with T1006 (not a function).
        self.expression.register_function("eval", None)
        self.lock = threading.Lock()


# jsonata-js names a signature's array type in words; jsonata-python keeps the letter.
_ARRAY_TYPES = {
    "a": "arrays",
    "b": "booleans",
    "f": "functions",
    "n": "numbers",
    "o": "objects",
    "s": "strings",
}


def message(exc: JException) -> str:
    """The reference engine's (jsonata-js) message for ``exc``, which AWS quotes: placeholders
    written as JSON (``Expected "]", got ","``, ``Argument 1 of function "sum" must be an
    array of "numbers"``), where jsonata-python writes them bare and says ``Object`` for
    ``function``."""
    template = JException.error_codes.get(getattr(exc, "error", None) or "")
    if not isinstance(template, str) or "{{{" in template:
        return str(exc)
    template = template.replace(" Object ", " function ")
    args = iter(
        [getattr(exc, "current", None), getattr(exc, "expected", None), getattr(exc, "extra", None)]
    )

    def quoted(match: re.Match[str]) -> str:
        value = next(args, None)
        if match.group(1) == "type" and isinstance(value, str):
            value = _ARRAY_TYPES.get(value, value)
        return fastjson.dumps(value).decode() if isinstance(value, str) else str(value)

    return re.sub(r"\{\{(\w+)\}\}", quoted, template)


@lru_cache(maxsize=2048)
def compile(text: str) -> _Compiled:
    """Compile an expression's body; ``StatesError`` (cause: the parser's message) if it is
    not JSONata."""
    try:
        return _Compiled(text)
    except JException as exc:
        raise StatesError(QUERY_EVALUATION_ERROR, message(exc)) from exc


def top_level_names(node: Any) -> list[str]:
    """Names a parsed expression reads from its context item at the top level (``phone`` in
    ``phone.x``): Step Functions evaluates expressions with no context item, so AWS refuses
    them. Steps after the first, and their filters, read relative to a value and are fine."""
    found: list[str] = []

    def walk(item: Any) -> None:
        if isinstance(item, list | tuple):
            for inner in item:
                walk(inner)
            return
        kind = getattr(item, "type", None)
        if not isinstance(kind, str):
            return
        if kind == "path":
            steps = getattr(item, "steps", None) or []
            if steps:
                first = steps[0]
                if getattr(first, "type", None) == "name":
                    found.append(str(first.value))
                else:
                    walk(first)
            return
        if kind == "name":
            found.append(str(item.value))
            return
        for key, inner in vars(item).items():
            if key != "_outer_instance" and key not in ("steps", "stages", "group"):
                walk(inner)

    walk(node)
    return list(dict.fromkeys(found))


def check(value: Any, pointer: str) -> list[tuple[str, str, str]]:
    """``(code, message, pointer)`` for every expression in ``value`` AWS refuses, walked like
    ``resolve`` (``pointer`` names where ``value`` sits: ``/States/S/Output``):
    ``INVALID_JSONATA_EXPRESSION`` when it does not parse, ``UNSUPPORTED_JSONATA_EXPRESSION``
    for each name it reads at the top level."""
    if is_expression(value):
        try:
            compiled = compile(body(value))
        except StatesError as exc:
            return [("INVALID_JSONATA_EXPRESSION", exc.cause, pointer)]
        return [
            (
                "UNSUPPORTED_JSONATA_EXPRESSION",
                f"Reference to '{name}' at the top level is not supported.",
                pointer,
            )
            for name in top_level_names(compiled.expression.ast)
        ]
    problems: list[tuple[str, str, str]] = []
    if isinstance(value, dict):
        for key, inner in value.items():
            problems.extend(check(inner, f"{pointer}/{key}"))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            problems.extend(check(inner, f"{pointer}[{i}]"))
    return problems


def evaluate(text: str, bindings: dict[str, Any], field: str = "") -> Any:
    """The value of the expression body ``text``; an expression that returns nothing
    (JSONata's undefined) fails as AWS's does, naming ``field``."""
    compiled = compile(text)
    try:
        with compiled.lock:
            value = compiled.expression.evaluate(None, bindings)
        if value is None:
            raise StatesError(
                QUERY_EVALUATION_ERROR,
                f"The JSONata expression '{text}' specified for the field '{field}' returned "
                "nothing (undefined).",
            )
        return Utils.convert_nulls(value)
    except StatesError:
        raise
    except JException as exc:
        code = getattr(exc, "error", None)
        tail = f". {code}: {message(exc)}" if code else f": {exc}"
        raise StatesError(QUERY_EVALUATION_ERROR, _threw(text, field) + tail) from exc
    except (TypeError, ValueError, ArithmeticError, KeyError, IndexError, RecursionError) as exc:
        raise StatesError(QUERY_EVALUATION_ERROR, f"{_threw(text, field)}: {exc}") from exc


def _threw(text: str, field: str) -> str:
    return (
        f"The JSONata expression '{text}' specified for the field '{field}' threw an error "
        "during evaluation"
    )


def resolve(value: Any, bindings: dict[str, Any], field: str = "") -> Any:
    """``value`` with every ``{% %}`` string replaced by its value (``field`` names where
    ``value`` sits, for error causes: ``Arguments/Payload/id``)."""
    if is_expression(value):
        return evaluate(body(value), bindings, field)
    if isinstance(value, dict):
        return {
            key: resolve(inner, bindings, f"{field}/{key}" if field else key)
            for key, inner in value.items()
        }
    if isinstance(value, list):
        return [
            resolve(inner, bindings, f"{field}[{i}]" if field else f"[{i}]")
            for i, inner in enumerate(value)
        ]
    return value


def bindings(variables: dict[str, Any], states: dict[str, Any]) -> dict[str, Any]:
    """What an expression sees: the variables and ``$states``."""
    return {**variables, "states": states}
