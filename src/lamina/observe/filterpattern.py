"""CloudWatch Logs filter patterns, parsed once, then matched against each event's message.

Supported, as CloudWatch Logs documents them:

* terms: ``ERROR``, ``"a quoted phrase"`` — every term must appear (case-sensitive);
  ``-term`` excludes; ``?term ?other`` matches when any of the ``?`` terms appears;
* regular expressions between percent signs: ``%[0-9]{3}%``;
* JSON patterns: ``{ $.level = "ERROR" }``, ``{ $.latency > 100 }``, ``!=``, ``<=``, ``>=``,
  ``*`` wildcards in strings, ``IS NULL``, ``IS TRUE``/``IS FALSE``, ``EXISTS``,
  ``NOT EXISTS``, joined by ``&&`` and ``||`` with parentheses. A message that is not JSON
  never matches a JSON pattern.

Space-delimited patterns (``[ip, user, ...]``) are refused with a message naming them.
``FilterPatternError`` carries AWS's wording for a pattern it cannot read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from lamina import fastjson

Matcher = Callable[[str], bool]


class FilterPatternError(ValueError):
    pass


def compile_pattern(pattern: str | None) -> Matcher:
    text = (pattern or "").strip()
    if not text:
        return lambda _: True
    if text.startswith("{"):
        if not text.endswith("}"):
            raise FilterPatternError("Invalid filter pattern")
        test = _JsonParser(text[1:-1]).parse()
        return lambda message: _json_match(message, test)
    if text.startswith("["):
        raise FilterPatternError(
            "Invalid filter pattern: Lamina does not support space-delimited filter patterns yet"
        )
    if len(text) > 1 and text.startswith("%") and text.endswith("%"):
        try:
            regex = re.compile(text[1:-1])
        except re.error as exc:
            raise FilterPatternError("Invalid filter pattern") from exc
        return lambda message: regex.search(message) is not None
    return _terms(text)


def _terms(text: str) -> Matcher:
    required: list[str] = []
    excluded: list[str] = []
    optional: list[str] = []
    for found in re.finditer(r'([-?]?)(?:"((?:[^"\\]|\\.)*)"|(\S+))', text):
        sign, quoted, bare = found.groups()
        term = quoted.replace('\\"', '"') if quoted is not None else bare
        {"-": excluded, "?": optional}.get(sign, required).append(term)

    def match(message: str) -> bool:
        if any(term in message for term in excluded):
            return False
        if optional and not any(term in message for term in optional):
            return False
        return all(term in message for term in required)

    return match


# -- JSON patterns ---------------------------------------------------------------------------

_TOKEN = re.compile(
    r'\s*(?:(?P<op>&&|\|\||!=|<=|>=|=|<|>|\(|\))|(?P<sel>\$[\w.\[\]*-]*)|"(?P<str>(?:[^"\\]|\\.)*)"'
    r"|(?P<num>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|(?P<word>[A-Za-z_]+))"
)
_MISSING = object()
Test = Callable[[Any], bool]


class _JsonParser:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            found = _TOKEN.match(text, pos)
            if found is None or found.end() == pos:
                raise FilterPatternError("Invalid filter pattern")
            kind = found.lastgroup or ""
            self.tokens.append((kind, found.group(kind)))
            pos = found.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise FilterPatternError("Invalid filter pattern")
        self.i += 1
        return token

    def parse(self) -> Test:
        test = self.disjunction()
        if self.peek() is not None:
            raise FilterPatternError("Invalid filter pattern")
        return test

    def disjunction(self) -> Test:
        tests = [self.conjunction()]
        while self.peek() == ("op", "||"):
            self.take()
            tests.append(self.conjunction())
        return tests[0] if len(tests) == 1 else (lambda doc: any(t(doc) for t in tests))

    def conjunction(self) -> Test:
        tests = [self.primary()]
        while self.peek() == ("op", "&&"):
            self.take()
            tests.append(self.primary())
        return tests[0] if len(tests) == 1 else (lambda doc: all(t(doc) for t in tests))

    def primary(self) -> Test:
        kind, value = self.take()
        if (kind, value) == ("op", "("):
            inner = self.disjunction()
            if self.take() != ("op", ")"):
                raise FilterPatternError("Invalid filter pattern")
            return inner
        if kind != "sel":
            raise FilterPatternError("Invalid filter pattern")
        path = _path(value)
        kind, op = self.take()
        if kind == "word":
            return self._keyword(path, op.upper())
        if kind != "op" or op not in ("=", "!=", "<", ">", "<=", ">="):
            raise FilterPatternError("Invalid filter pattern")
        kind, literal = self.take()
        return _comparison(path, op, kind, literal)

    def _keyword(self, path: list[str | int], word: str) -> Test:
        if word == "EXISTS":
            return lambda doc: _select(doc, path) is not _MISSING
        if word == "NOT":
            if self.take()[1].upper() != "EXISTS":
                raise FilterPatternError("Invalid filter pattern")
            return lambda doc: _select(doc, path) is _MISSING
        if word == "IS":
            what = self.take()[1].upper()
            expected: Any = {"NULL": None, "TRUE": True, "FALSE": False}.get(what, _MISSING)
            if expected is _MISSING:
                raise FilterPatternError("Invalid filter pattern")
            return lambda doc: _select(doc, path) is expected
        raise FilterPatternError("Invalid filter pattern")


def _path(selector: str) -> list[str | int]:
    parts: list[str | int] = []
    for name, index in re.findall(r"\.([\w-]+)|\[(\d+)\]", selector[1:]):
        parts.append(int(index) if index else name)
    return parts


def _select(doc: Any, path: list[str | int]) -> Any:
    for part in path:
        in_list = isinstance(part, int) and isinstance(doc, list) and part < len(doc)
        if not (in_list or (isinstance(part, str) and isinstance(doc, dict) and part in doc)):
            return _MISSING
        doc = doc[part]
    return doc


def _comparison(path: list[str | int], op: str, kind: str, literal: str) -> Test:
    if kind == "num":
        number = float(literal)
        compare: dict[str, Callable[[float], bool]] = {
            "=": lambda v: v == number,
            "!=": lambda v: v != number,
            "<": lambda v: v < number,
            ">": lambda v: v > number,
            "<=": lambda v: v <= number,
            ">=": lambda v: v >= number,
        }
        check = compare[op]

        def numeric(doc: Any) -> bool:
            value = _select(doc, path)
            return (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and check(float(value))
            )

        return numeric
    if op not in ("=", "!="):
        raise FilterPatternError("Invalid filter pattern")
    if kind == "str":
        text = literal.replace('\\"', '"')
    elif kind == "word":
        text = literal
    else:
        raise FilterPatternError("Invalid filter pattern")
    regex = re.compile("^" + ".*".join(re.escape(p) for p in text.split("*")) + "$", re.DOTALL)

    def textual(doc: Any) -> bool:
        value = _select(doc, path)
        if value is _MISSING:
            return False
        if isinstance(value, bool):
            shown = "true" if value else "false"
        elif value is None:
            shown = "null"
        elif isinstance(value, dict | list):
            return op == "!="
        else:
            shown = str(value)
        return (regex.match(shown) is not None) == (op == "=")

    return textual


def _json_match(message: str, test: Test) -> bool:
    start = message.find("{")
    if start < 0:
        return False
    try:
        doc = fastjson.loads(message[start:])
    except ValueError:
        return False
    return test(doc)
