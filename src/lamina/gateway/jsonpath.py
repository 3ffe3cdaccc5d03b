"""The JSONPath API Gateway evaluates in mapping templates (``$input.json``, ``$input.path``) and
response parameters (``integration.response.body.a.b``).

Pure. The subset API Gateway's examples use: the root ``$``, child names (``.name``,
``['name']``), indexes (``[0]``, ``[-1]``), wildcards (``.*``, ``[*]``) and recursive descent
(``..name``). A path with a wildcard or recursive descent yields a list of every match; any other
path yields its single value, or ``MISSING``. Paths are parsed once (cached).

Contract: ``parse`` raises ``ValueError`` for a path it cannot read; ``Path.find`` never raises.
"""

from __future__ import annotations

import functools
import re
from typing import Any

MISSING: Any = object()

_TOKEN = re.compile(
    r"""\.\.(?P<deep>[^.\[]+|\*)"""
    r"""|\.(?P<name>[^.\[]+)"""
    r"""|\[\s*(?P<quoted>'[^']*'|"[^"]*")\s*\]"""
    r"""|\[\s*(?P<index>-?\d+)\s*\]"""
    r"""|\[\s*(?P<star>\*)\s*\]"""
)
# Steps: ("name", key), ("index", n), ("all", ""), ("deep", key or "*").
Step = tuple[str, Any]


class Path:
    """A compiled JSONPath."""

    __slots__ = ("_many", "_steps", "text")

    def __init__(self, text: str, steps: tuple[Step, ...]) -> None:
        self.text = text
        self._steps = steps
        self._many = any(kind in ("all", "deep") for kind, _ in steps)

    def find(self, document: Any) -> Any:
        """The value at this path in ``document`` (a list of them for a path with wildcards),
        or ``MISSING``."""
        found = [document]
        for kind, key in self._steps:
            found = [child for value in found for child in _children(value, kind, key)]
            if not found:
                break
        if self._many:
            return found
        return found[0] if found else MISSING


def _children(value: Any, kind: str, key: Any) -> list[Any]:
    if kind == "name":
        if isinstance(value, dict) and key in value:
            return [value[key]]
        if key == "*" and isinstance(value, (dict, list)):
            return list(value.values()) if isinstance(value, dict) else list(value)
        return []
    if kind == "index":
        if isinstance(value, list) and -len(value) <= key < len(value):
            return [value[key]]
        return []
    if kind == "all":
        if isinstance(value, dict):
            return list(value.values())
        return list(value) if isinstance(value, list) else []
    return _descend(value, key)


def _descend(value: Any, key: str) -> list[Any]:
    found: list[Any] = []
    if not isinstance(value, (dict, list)):
        return found
    children = value.items() if isinstance(value, dict) else enumerate(value)
    for name, child in children:
        if key == "*" or name == key:
            found.append(child)
        found.extend(_descend(child, key))
    return found


@functools.lru_cache(maxsize=1024)
def parse(text: str) -> Path:
    """``text`` as a path (see the module's contract)."""
    source = text.strip()
    if not source.startswith("$"):
        raise ValueError(f"a JSONPath starts with $: {text!r}")
    steps: list[Step] = []
    at = 1
    while at < len(source):
        match = _TOKEN.match(source, at)
        if match is None:
            raise ValueError(f"cannot read JSONPath {text!r} at {source[at:]!r}")
        at = match.end()
        if match["deep"] is not None:
            steps.append(("deep", match["deep"]))
        elif match["name"] is not None:
            name = match["name"]
            steps.append(("all", "") if name == "*" else ("name", name))
        elif match["quoted"] is not None:
            steps.append(("name", match["quoted"][1:-1]))
        elif match["index"] is not None:
            steps.append(("index", int(match["index"])))
        else:
            steps.append(("all", ""))
    return Path(text, tuple(steps))
