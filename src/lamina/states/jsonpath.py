"""JSONPath as Step Functions reads it (Jayway's dialect): compile once, evaluate many times.

A path starts at ``$`` and walks steps: ``.name`` / ``['name']`` (a field), ``[2]`` / ``[-1]``
(an element), ``.*`` / ``[*]`` (every member), ``[1:3]`` (a slice), ``[0,2]`` (several
elements), ``..name`` (a field at any depth) and ``[?(@.price < 10)]`` (a filter). A path with
only field and element steps is *definite* (a "reference path" in AWS's words: ``ResultPath``,
``Variable``...): it names one value or none. Any other path is indefinite and yields a list.

``Path.render`` writes a path as Jayway prints it in its errors (``$['a'][0]``); AWS quotes that
form in ``States.Runtime`` causes ("Invalid path '$.x' : No results for path: $['x']").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lamina import fastjson


class PathError(ValueError):
    """Text that is not a JSONPath."""


class NoResults(LookupError):
    """A definite path that names nothing in the document."""


@dataclass(frozen=True, slots=True)
class Field:
    name: str

    def render(self) -> str:
        return "['" + self.name.replace("'", "\\'") + "']"


@dataclass(frozen=True, slots=True)
class Index:
    index: int

    def render(self) -> str:
        return f"[{self.index}]"


@dataclass(frozen=True, slots=True)
class Wildcard:
    def render(self) -> str:
        return "[*]"


@dataclass(frozen=True, slots=True)
class Slice:
    start: int | None
    stop: int | None
    step: int | None

    def render(self) -> str:
        parts = ["" if v is None else str(v) for v in (self.start, self.stop)]
        if self.step is not None:
            parts.append(str(self.step))
        return "[" + ":".join(parts) + "]"


@dataclass(frozen=True, slots=True)
class Union:
    members: tuple[int | str, ...]

    def render(self) -> str:
        return "[" + ",".join(_render_member(m) for m in self.members) + "]"


@dataclass(frozen=True, slots=True)
class Descend:
    """``..``: the step that follows applies at every depth."""

    def render(self) -> str:
        return ".."


@dataclass(frozen=True, slots=True)
class Filter:
    """``[?(@.a op literal)]``, or ``[?(@.a)]`` (the field exists)."""

    text: str
    target: tuple[Step, ...]
    op: str | None
    operand: Any

    def render(self) -> str:
        return f"[?({self.text})]"


Step = Field | Index | Wildcard | Slice | Union | Descend | Filter


def _render_member(member: int | str) -> str:
    return str(member) if isinstance(member, int) else "'" + member + "'"


@dataclass(frozen=True, slots=True)
class Path:
    """A compiled path; ``text`` is what the definition wrote."""

    text: str
    steps: tuple[Step, ...]

    @property
    def definite(self) -> bool:
        return all(isinstance(step, Field | Index) for step in self.steps)

    def render(self) -> str:
        return "$" + "".join(step.render() for step in self.steps)

    def find(self, document: Any) -> list[Any]:
        """Every value the path names, in document order."""
        return list(_walk(document, self.steps))

    def get(self, document: Any) -> Any:
        """The value a path names: one value for a definite path (``NoResults`` when there is
        none), the list of matches for an indefinite one."""
        if self.definite:
            value = document
            for step in self.steps:
                value = _child(value, step)
            return value
        return self.find(document)

    def exists(self, document: Any) -> bool:
        if self.definite:
            try:
                self.get(document)
            except NoResults:
                return False
            return True
        return bool(self.find(document))

    def set(self, document: Any, value: Any) -> Any:
        """A copy of ``document`` with ``value`` at this definite path, creating the objects the
        path walks through; ``NoResults`` when a step cannot be taken (a field of a non-object,
        an element beyond a list's end)."""
        if not self.steps:
            return value
        return _set(document, self.steps, value)


_MISSING = object()


def _child(value: Any, step: Field | Index | Step) -> Any:
    if isinstance(step, Field):
        if isinstance(value, dict) and step.name in value:
            return value[step.name]
    elif (
        isinstance(step, Index)
        and isinstance(value, list)
        and -len(value) <= step.index < len(value)
    ):
        return value[step.index]
    raise NoResults


def _set(document: Any, steps: tuple[Step, ...], value: Any) -> Any:
    step, rest = steps[0], steps[1:]
    if isinstance(step, Field):
        if document is None:
            document = {}
        if not isinstance(document, dict):
            raise NoResults
        copy = dict(document)
        inner = copy.get(step.name) if rest else None
        copy[step.name] = _set(inner, rest, value) if rest else value
        return copy
    if isinstance(step, Index):
        if not isinstance(document, list) or not -len(document) <= step.index < len(document):
            raise NoResults
        items = list(document)
        items[step.index] = _set(items[step.index], rest, value) if rest else value
        return items
    raise NoResults


def _members(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        yield from value.values()
    elif isinstance(value, list):
        yield from value


def _walk(value: Any, steps: tuple[Step, ...]) -> Iterator[Any]:
    if not steps:
        yield value
        return
    step, rest = steps[0], steps[1:]
    if isinstance(step, Field | Index):
        try:
            child = _child(value, step)
        except NoResults:
            return
        yield from _walk(child, rest)
    elif isinstance(step, Wildcard):
        for child in _members(value):
            yield from _walk(child, rest)
    elif isinstance(step, Slice):
        if isinstance(value, list):
            for child in value[step.start : step.stop : step.step]:
                yield from _walk(child, rest)
    elif isinstance(step, Union):
        for member in step.members:
            target: Field | Index = Field(member) if isinstance(member, str) else Index(member)
            yield from _walk(value, (target, *rest))
    elif isinstance(step, Descend):
        yield from _descend(value, rest)
    else:
        if isinstance(value, list):
            candidates: list[Any] = value
        elif isinstance(value, dict):
            candidates = list(value.values())
        else:
            candidates = []
        for child in candidates:
            if _matches(step, child):
                yield from _walk(child, rest)


def _descend(value: Any, rest: tuple[Step, ...]) -> Iterator[Any]:
    yield from _walk(value, rest)
    for child in _members(value):
        if isinstance(child, dict | list):
            yield from _descend(child, rest)


def _matches(flt: Filter, item: Any) -> bool:
    found = list(_walk(item, flt.target))
    if not found:
        return False
    if flt.op is None:
        return True
    left, right = found[0], flt.operand
    if flt.op in ("==", "!="):
        same = type(left) is type(right) or (_number(left) and _number(right))
        return (same and left == right) == (flt.op == "==")
    if not (
        (_number(left) and _number(right)) or (isinstance(left, str) and isinstance(right, str))
    ):
        return False
    if flt.op == "<":
        return bool(left < right)
    if flt.op == "<=":
        return bool(left <= right)
    if flt.op == ">":
        return bool(left > right)
    return bool(left >= right)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_NAME = re.compile(r"[^.\[\]\s]+")
_INT = re.compile(r"-?\d+")
_FILTER = re.compile(
    r"\[\?\(\s*@((?:\.[^\s<>=!)]+|\[[^\]]*\])*)\s*(?:(==|!=|<=|>=|<|>)\s*(.+?))?\s*\)\]"
)


@lru_cache(maxsize=4096)
def compile(text: str) -> Path:
    """Compile ``text`` (starting with ``$``); ``PathError`` if it is not a JSONPath."""
    if not isinstance(text, str) or not text.startswith("$") or text.startswith("$$"):
        raise PathError(text)
    return Path(text, _steps(text, 1))


def _steps(text: str, at: int) -> tuple[Step, ...]:
    steps: list[Step] = []
    while at < len(text):
        char = text[at]
        if text.startswith("..", at):
            steps.append(Descend())
            at += 2
            if at < len(text) and text[at] == "*":
                steps.append(Wildcard())
                at += 1
                continue
            match = _NAME.match(text, at)
            if match is None:
                if at < len(text) and text[at] == "[":
                    continue
                raise PathError(text)
            steps.append(Field(match.group()))
            at = match.end()
        elif char == ".":
            at += 1
            if at < len(text) and text[at] == "*":
                steps.append(Wildcard())
                at += 1
                continue
            match = _NAME.match(text, at)
            if match is None:
                raise PathError(text)
            steps.append(Field(match.group()))
            at = match.end()
        elif char == "[":
            step, at = _bracket(text, at)
            steps.append(step)
        else:
            raise PathError(text)
    return tuple(steps)


def _bracket(text: str, at: int) -> tuple[Step, int]:
    if text.startswith("[?", at):
        match = _FILTER.match(text, at)
        if match is None:
            raise PathError(text)
        target = _steps("$" + match.group(1), 1)
        operand: Any = None
        if match.group(2) is not None:
            raw = match.group(3)
            if raw.startswith("'") and raw.endswith("'") and len(raw) >= 2:
                operand = raw[1:-1]
            else:
                try:
                    operand = fastjson.loads(raw)
                except ValueError as exc:
                    raise PathError(text) from exc
        inner = text[at + 3 : match.end() - 2].strip()
        return Filter(inner, target, match.group(2), operand), match.end()
    close = _closing(text, at)
    inner = text[at + 1 : close].strip()
    end = close + 1
    if inner == "*":
        return Wildcard(), end
    if ":" in inner and not inner.startswith(("'", '"')):
        parts = inner.split(":")
        if len(parts) > 3 or not all(p.strip() == "" or _INT.fullmatch(p.strip()) for p in parts):
            raise PathError(text)
        numbers = [int(p) if p.strip() else None for p in parts]
        return Slice(numbers[0], numbers[1], numbers[2] if len(numbers) > 2 else None), end
    members = [_member(text, part.strip()) for part in _split_members(inner)]
    if len(members) == 1:
        only = members[0]
        return (Field(only) if isinstance(only, str) else Index(only)), end
    return Union(tuple(members)), end


def _closing(text: str, at: int) -> int:
    quote: str | None = None
    i = at + 1
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "]":
            return i
        i += 1
    raise PathError(text)


def _split_members(inner: str) -> list[str]:
    parts, current, quote = [], "", None
    for char in inner:
        if quote:
            current += char
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
            current += char
        elif char == ",":
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def _member(text: str, part: str) -> int | str:
    if len(part) >= 2 and part[0] == part[-1] and part[0] in "'\"":
        return part[1:-1].replace("\\'", "'").replace('\\"', '"')
    if _INT.fullmatch(part):
        return int(part)
    raise PathError(text)
