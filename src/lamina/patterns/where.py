"""Where in a pattern's JSON text a fault is, worded as AWS's matcher (Jackson) words it:
`` at [Source: (String)"TEXT"; line: L, column: C]``, the column that of the offending value's
last character. Only faults about one key can be placed (``"key" must be an object or an
array``, ``Unrecognized match type key``); for others there is no position to give."""

from __future__ import annotations

import re

_KEYED = (
    re.compile(r'^"(?P<key>.+?)" must be'),
    re.compile(r"^Unrecognized match type (?P<key>\S+)"),
)


def located(text: str, message: str) -> str:
    """`` at [...]`` for ``message`` about ``text``, or "" when it cannot be placed."""
    for pattern in _KEYED:
        found = pattern.match(message)
        if found is not None:
            end = _value_end(text, found.group("key"))
            if end is not None:
                line = text.count("\n", 0, end) + 1
                column = end - (text.rfind("\n", 0, end) + 1) + 1
                return f' at [Source: (String)"{text}"; line: {line}, column: {column}]'
    return ""


def _value_end(text: str, key: str) -> int | None:
    """The index of the last character of the value written after ``"key":``."""
    start = text.find(f'"{key}"')
    if start < 0:
        return None
    at = text.find(":", start + len(key) + 2)
    if at < 0:
        return None
    at += 1
    while at < len(text) and text[at] in " \t\r\n":
        at += 1
    if at >= len(text):
        return None
    if text[at] == '"':
        at += 1
        while at < len(text) and text[at] != '"':
            at += 2 if text[at] == "\\" else 1
        return at if at < len(text) else None
    if text[at] in "[{":
        return at
    while at + 1 < len(text) and text[at + 1] not in ",}] \t\r\n":
        at += 1
    return at
