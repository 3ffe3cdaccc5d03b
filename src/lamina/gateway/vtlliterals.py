"""Velocity 1.7's string literals, spelled so that airspeed reads the values Velocity reads.

Pure. API Gateway's mapping templates run on Velocity 1.7, whose string literals process almost
no escapes: a double-quoted literal turns ``\\uXXXX`` into its character and ``""`` into ``"``
and keeps every other backslash (``"\\\\'"`` is the three characters ``\\\\'``, which is why AWS
documents ``$util.escapeJavaScript($input.body).replaceAll("\\\\'","'")``: the regular
expression ``\\\\'`` matches the ``\\'`` escapeJavaScript wrote); a single-quoted literal turns
``''`` into ``'`` and keeps backslashes too. airspeed follows Python instead (``\\\\`` is one
backslash, ``\\n`` a newline, ``\\d`` a parse error), so ``velocity_literals`` rewrites each
literal of the template's expressions (directive arguments, method arguments and indexes of
references) to the airspeed spelling of Velocity's value, and leaves the template's text alone.
"""

from __future__ import annotations

import re

# A directive whose arguments follow in parentheses: #set( ... ), #{if}( ... ) ...
_DIRECTIVE = re.compile(r"#\{?(?:set|if|elseif|foreach|macro|define|evaluate|parse|include)\}?\s*")
# The start of a reference: $name, $!name, ${name, $!{name.
_REFERENCE = re.compile(r"\$!?\{?[A-Za-z][\w-]*")
_PROPERTY = re.compile(r"\.[A-Za-z_][\w-]*")
_UNICODE = re.compile(r"\\u([0-9a-fA-F]{4})")
_CLOSERS = {"(": ")", "[": "]"}


def velocity_literals(text: str) -> str:
    """``text`` with every string literal of its expressions respelled for airspeed."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "#":
            end = _skipped(text, i)
            if end is not None:
                out.append(text[i:end])
                i = end
                continue
            directive = _DIRECTIVE.match(text, i)
            if directive is not None and directive.end() < n and text[directive.end()] == "(":
                out.append(directive.group())
                i = _expression(text, directive.end(), out)
                continue
        elif char == "$" and (i == 0 or text[i - 1] != "\\"):
            reference = _REFERENCE.match(text, i)
            if reference is not None:
                out.append(reference.group())
                i = _rest_of_reference(text, reference.end(), out)
                continue
        out.append(char)
        i += 1
    return "".join(out)


def _skipped(text: str, i: int) -> int | None:
    """Where a comment or an unparsed block starting at ``i`` ends (None: not one)."""
    for opening, closing in (("##", "\n"), ("#*", "*#"), ("#[[", "]]#")):
        if text.startswith(opening, i):
            end = text.find(closing, i + len(opening))
            return len(text) if end < 0 else end + len(closing)
    return None


def _rest_of_reference(text: str, i: int, out: list[str]) -> int:
    """Copy a reference's properties, calls and indexes after its name; the end."""
    while i < len(text):
        if text[i] in _CLOSERS:
            i = _expression(text, i, out)
            continue
        prop = _PROPERTY.match(text, i)
        if prop is None:
            break
        out.append(prop.group())
        i = prop.end()
    return i


def _expression(text: str, i: int, out: list[str]) -> int:
    """Copy the bracketed expression opening at ``i`` (``(`` or ``[``), its literals
    respelled; the index after its closing bracket (or the end of an unclosed one)."""
    depth = 0
    while i < len(text):
        char = text[i]
        if char in "\"'":
            i = _literal(text, i, out)
            continue
        out.append(char)
        i += 1
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
            if depth == 0:
                return i
    return i


def _literal(text: str, i: int, out: list[str]) -> int:
    """Copy the literal opening at ``i`` as airspeed must read it; the index after it."""
    quote = text[i]
    j = i + 1
    raw: list[str] = []
    while j < len(text):
        char = text[j]
        if char == "\\" and quote == '"' and j + 1 < len(text):
            raw.append(text[j : j + 2])  # the lexer's pair: \" does not end the literal
            j += 2
            continue
        if char == quote:
            if text.startswith(quote * 2, j):
                raw.append(quote)  # a doubled quote is one quote
                j += 2
                continue
            break
        raw.append(char)
        j += 1
    value = "".join(raw)
    if quote == '"':
        value = _UNICODE.sub(lambda m: chr(int(m.group(1), 16)), value)
    out.append(quote + value.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote)
    return j + 1
