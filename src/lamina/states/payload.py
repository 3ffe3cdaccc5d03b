"""JSONPath-language data: reading paths (``$``, ``$$`` the context, ``$name`` a variable) and
filling payload templates (``Parameters``, ``ResultSelector``, ``ItemSelector``, ``Assign``),
where a key ending in ``.$`` takes the value of its path or intrinsic function call and drops
the suffix.

A definite path that names nothing raises ``StatesError("States.Runtime", ...)`` with AWS's
cause ("Invalid path '$.x' : No results for path: $['x']"; in a template, "The JSONPath '$.x'
specified for the field 'x.$' could not be found in the input '{...}'").
"""

from __future__ import annotations

from typing import Any

from lamina import fastjson
from lamina.states import intrinsics, jsonpath
from lamina.states.errors import RUNTIME, StatesError
from lamina.states.scope import Scope


def compact(value: Any) -> str:
    """JSON as AWS quotes a document in a cause: compact."""
    return fastjson.dumps(value).decode()


def split(text: str, scope: Scope, document: Any) -> tuple[Any, jsonpath.Path]:
    """The document a path starts from and the path relative to it."""
    if text.startswith("$$"):
        return scope.context, jsonpath.compile(text[1:])
    if text == "$" or text[1:2] in (".", "["):
        return document, jsonpath.compile(text)
    end = 1
    while end < len(text) and (text[end].isalnum() or text[end] == "_"):
        end += 1
    name = text[1:end]
    if name not in scope.variables:
        raise StatesError(RUNTIME, f"Invalid path '{text}': The variable '{name}' is not defined")
    return scope.variables[name], jsonpath.compile("$" + text[end:])


def read(text: str, document: Any, scope: Scope) -> Any:
    """The value of the path ``text``: one value for a definite path, a list otherwise."""
    root, path = split(text, scope, document)
    try:
        return path.get(root)
    except jsonpath.NoResults:
        raise StatesError(
            RUNTIME, f"Invalid path '{text}' : No results for path: {path.render()}"
        ) from None


def template(value: Any, document: Any, scope: Scope) -> Any:
    """``value`` with every ``.$`` key replaced by what its path or intrinsic names."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            if key.endswith(".$") and isinstance(inner, str):
                out[key[:-2]] = _dynamic(key, inner, document, scope)
            else:
                out[key] = template(inner, document, scope)
        return out
    if isinstance(value, list):
        return [template(inner, document, scope) for inner in value]
    return value


def _dynamic(key: str, text: str, document: Any, scope: Scope) -> Any:
    if text.startswith("States."):
        return intrinsics.evaluate(
            intrinsics.compile(text), lambda path: _argument(path, document, scope)
        )
    root, path = split(text, scope, document)
    try:
        return path.get(root)
    except jsonpath.NoResults:
        raise StatesError(
            RUNTIME,
            f"The JSONPath '{text}' specified for the field '{key}' could not be found in the "
            f"input '{compact(document)}'",
        ) from None


def _argument(text: str, document: Any, scope: Scope) -> Any:
    root, path = split(text, scope, document)
    try:
        return path.get(root)
    except jsonpath.NoResults:
        raise StatesError(
            RUNTIME, f"Invalid path '{text}' : No results for path: {path.render()}"
        ) from None
