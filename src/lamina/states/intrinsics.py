"""Intrinsic functions: ``States.Format('{} {}', $.a, States.UUID())`` and the rest.

``compile(text)`` parses the call syntax once (nested calls, single-quoted strings with the
``\\'``, ``\\{``, ``\\}`` and ``\\\\`` escapes, numbers, ``true``/``false``/``null``, and paths:
``$.x``, ``$$.Execution.Id``, ``$variable.x``); ``IntrinsicSyntaxError`` when it is not a call.
``evaluate(call, resolve)`` runs it, asking ``resolve`` for each path's value; a bad argument
raises ``StatesError("States.IntrinsicFailure", ...)``. Every function AWS documents is here,
with its documented limits (ArrayRange at most 1,000 items, Base64 input at most 10,000
characters, JsonMerge shallow only).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import random
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lamina import fastjson
from lamina.states.errors import INTRINSIC_FAILURE, StatesError


class IntrinsicSyntaxError(ValueError):
    """Text that is not an intrinsic function call."""


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any
    raw: str | None = None  # a string's text before unescaping: States.Format reads its braces


@dataclass(frozen=True, slots=True)
class PathArg:
    text: str


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Literal | PathArg | Call, ...]


_NAME = re.compile(r"States\.[A-Za-z0-9]+")
_NUMBER = re.compile(r"-?(?:\d+\.?\d*(?:[eE][+-]?\d+)?)")
_PATH = re.compile(r"\$[^,)\s]*")


@lru_cache(maxsize=4096)
def compile(text: str) -> Call:
    parser = _Parser(text)
    call = parser.call()
    parser.space()
    if parser.at != len(text):
        raise IntrinsicSyntaxError(text)
    return call


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def space(self) -> None:
        while self.at < len(self.text) and self.text[self.at] in " \t\n\r":
            self.at += 1

    def call(self) -> Call:
        self.space()
        match = _NAME.match(self.text, self.at)
        if match is None or match.group() not in FUNCTIONS:
            raise IntrinsicSyntaxError(self.text)
        self.at = match.end()
        self.space()
        self.expect("(")
        args: list[Literal | PathArg | Call] = []
        self.space()
        if self.peek() == ")":
            self.at += 1
            return Call(match.group(), ())
        while True:
            args.append(self.argument())
            self.space()
            char = self.peek()
            self.at += 1
            if char == ")":
                return Call(match.group(), tuple(args))
            if char != ",":
                raise IntrinsicSyntaxError(self.text)

    def peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise IntrinsicSyntaxError(self.text)
        self.at += 1

    def argument(self) -> Literal | PathArg | Call:
        self.space()
        char = self.peek()
        if char == "'":
            return self.string()
        if char == "$":
            match = _PATH.match(self.text, self.at)
            assert match is not None
            self.at = match.end()
            return PathArg(match.group())
        if self.text.startswith("States.", self.at):
            return self.call()
        for word, value in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, self.at):
                self.at += len(word)
                return Literal(value)
        match = _NUMBER.match(self.text, self.at)
        if match is None:
            raise IntrinsicSyntaxError(self.text)
        self.at = match.end()
        number = match.group()
        return Literal(float(number) if any(c in number for c in ".eE") else int(number))

    def string(self) -> Literal:
        start = self.at + 1
        i, out = start, []
        while i < len(self.text):
            char = self.text[i]
            if char == "\\" and i + 1 < len(self.text):
                out.append(self.text[i + 1])
                i += 2
                continue
            if char == "'":
                self.at = i + 1
                return Literal("".join(out), self.text[start:i])
            out.append(char)
            i += 1
        raise IntrinsicSyntaxError(self.text)


def evaluate(call: Call, resolve: Callable[[str], Any]) -> Any:
    """The call's value; paths are read with ``resolve``."""
    args = [
        evaluate(arg, resolve)
        if isinstance(arg, Call)
        else resolve(arg.text)
        if isinstance(arg, PathArg)
        else arg.value
        for arg in call.args
    ]
    if call.name == "States.Format":
        first = call.args[0] if call.args else None
        template = first.raw if isinstance(first, Literal) and first.raw is not None else None
        return _format(template, args)
    return FUNCTIONS[call.name](args)


def fail(cause: str) -> StatesError:
    return StatesError(INTRINSIC_FAILURE, cause)


def _count(name: str, args: list[Any], *counts: int) -> None:
    if len(args) not in counts:
        wanted = " or ".join(str(c) for c in counts)
        raise fail(f"Invalid arguments in {name}: expected {wanted} argument(s), got {len(args)}")


def _is_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _format(template: str | None, args: list[Any]) -> str:
    """``template`` is the literal's text before unescaping (escaped braces are not
    placeholders); None when the template came from a path, whose text has no escapes."""
    if not args or not isinstance(args[0], str):
        raise fail("Invalid arguments in States.Format: the first argument must be a string")
    raw, escapes = (template, True) if template is not None else (args[0], False)
    values = args[1:]
    out: list[str] = []
    used, i = 0, 0
    while i < len(raw):
        char = raw[i]
        if escapes and char == "\\" and i + 1 < len(raw):
            out.append(raw[i + 1])
            i += 2
        elif raw.startswith("{}", i):
            if used >= len(values):
                raise fail(_PLACEHOLDERS)
            out.append(_text(values[used]))
            used += 1
            i += 2
        else:
            out.append(char)
            i += 1
    if used != len(values):
        raise fail(_PLACEHOLDERS)
    return "".join(out)


_PLACEHOLDERS = (
    "Invalid arguments in States.Format: the number of arguments does not match the number of "
    "placeholders"
)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        raise fail(
            "Invalid arguments in States.Format: "
            "arguments must be strings, numbers, booleans or null"
        )
    return fastjson.dumps(value).decode()


def _string_to_json(args: list[Any]) -> Any:
    _count("States.StringToJson", args, 1)
    if not isinstance(args[0], str):
        raise fail("Invalid arguments in States.StringToJson: the argument must be a string")
    try:
        return fastjson.loads(args[0])
    except ValueError as exc:
        raise fail(f"Invalid arguments in States.StringToJson: {args[0]!r} is not JSON") from exc


def _json_to_string(args: list[Any]) -> str:
    _count("States.JsonToString", args, 1)
    return fastjson.dumps(args[0]).decode()


def _array(args: list[Any]) -> list[Any]:
    return list(args)


def _list_arg(name: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise fail(f"Invalid arguments in {name}: the first argument must be an array")
    return value


def _array_partition(args: list[Any]) -> list[list[Any]]:
    _count("States.ArrayPartition", args, 2)
    items, size = _list_arg("States.ArrayPartition", args[0]), args[1]
    if not _is_int(size) or size <= 0:
        raise fail(
            "Invalid arguments in States.ArrayPartition: the chunk size must be a positive integer"
        )
    size = int(size)
    return [items[i : i + size] for i in range(0, len(items), size)]


def _array_contains(args: list[Any]) -> bool:
    _count("States.ArrayContains", args, 2)
    return any(_same(item, args[1]) for item in _list_arg("States.ArrayContains", args[0]))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def _array_range(args: list[Any]) -> list[int]:
    _count("States.ArrayRange", args, 3)
    if not all(_is_int(a) for a in args):
        raise fail("Invalid arguments in States.ArrayRange: the arguments must be integers")
    start, end, step = (int(a) for a in args)
    if step == 0:
        raise fail("Invalid arguments in States.ArrayRange: the step must not be 0")
    values = list(range(start, end + (1 if step > 0 else -1), step))
    if len(values) > 1000:
        raise fail("Invalid arguments in States.ArrayRange: the result has more than 1000 items")
    return values


def _array_get_item(args: list[Any]) -> Any:
    _count("States.ArrayGetItem", args, 2)
    items, index = _list_arg("States.ArrayGetItem", args[0]), args[1]
    if not _is_int(index) or not 0 <= index < len(items):
        raise fail("Invalid arguments in States.ArrayGetItem: index out of bounds")
    return items[int(index)]


def _array_length(args: list[Any]) -> int:
    _count("States.ArrayLength", args, 1)
    return len(_list_arg("States.ArrayLength", args[0]))


def _array_unique(args: list[Any]) -> list[Any]:
    _count("States.ArrayUnique", args, 1)
    unique: list[Any] = []
    for item in _list_arg("States.ArrayUnique", args[0]):
        if not any(_same(item, seen) for seen in unique):
            unique.append(item)
    return unique


def _string_arg(name: str, value: Any, limit: int | None = None) -> str:
    if not isinstance(value, str):
        raise fail(f"Invalid arguments in {name}: the argument must be a string")
    if limit is not None and len(value) > limit:
        raise fail(f"Invalid arguments in {name}: the input string exceeds {limit} characters")
    return value


def _base64_encode(args: list[Any]) -> str:
    _count("States.Base64Encode", args, 1)
    text = _string_arg("States.Base64Encode", args[0], 10000)
    return base64.b64encode(text.encode()).decode()


def _base64_decode(args: list[Any]) -> str:
    _count("States.Base64Decode", args, 1)
    text = _string_arg("States.Base64Decode", args[0], 10000)
    try:
        return base64.b64decode(text, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise fail("Invalid arguments in States.Base64Decode: the input is not base64") from exc


_HASHES = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}


def hash_hex(data: str, algorithm: str) -> str:
    """``data``'s digest in lower-case hex (shared with JSONata's ``$hash``)."""
    return hashlib.new(_HASHES[algorithm], data.encode()).hexdigest()


def _hash(args: list[Any]) -> str:
    _count("States.Hash", args, 2)
    data = args[0] if isinstance(args[0], str) else fastjson.dumps(args[0]).decode()
    if len(data) > 10000:
        raise fail("Invalid arguments in States.Hash: the input exceeds 10000 characters")
    if args[1] not in _HASHES:
        raise fail(
            f"Invalid arguments in States.Hash: unsupported algorithm {args[1]!r}; "
            f"expected one of {', '.join(_HASHES)}"
        )
    return hash_hex(data, args[1])


def _json_merge(args: list[Any]) -> dict[str, Any]:
    _count("States.JsonMerge", args, 3)
    left, right, deep = args
    if deep is not False:
        raise fail("Invalid arguments in States.JsonMerge: deep merging is not supported")
    if not isinstance(left, dict) or not isinstance(right, dict):
        raise fail("Invalid arguments in States.JsonMerge: the arguments must be objects")
    return {**left, **right}


def _math_random(args: list[Any]) -> int:
    _count("States.MathRandom", args, 2, 3)
    if not all(_is_int(a) for a in args):
        raise fail("Invalid arguments in States.MathRandom: the arguments must be integers")
    start, end = int(args[0]), int(args[1])
    if start >= end:
        raise fail("Invalid arguments in States.MathRandom: the start must be less than the end")
    source = random.Random(int(args[2])) if len(args) == 3 else random
    return source.randrange(start, end)


_INT32 = (-(2**31), 2**31 - 1)


def _math_add(args: list[Any]) -> int:
    _count("States.MathAdd", args, 2)
    if not all(_is_int(a) and _INT32[0] <= a <= _INT32[1] for a in args):
        raise fail("Invalid arguments in States.MathAdd: the arguments must be 32-bit integers")
    return int(args[0]) + int(args[1])


def _string_split(args: list[Any]) -> list[str]:
    _count("States.StringSplit", args, 2)
    text = _string_arg("States.StringSplit", args[0])
    delimiters = _string_arg("States.StringSplit", args[1])
    if not delimiters:
        return [text]
    pattern = "[" + re.escape(delimiters) + "]"
    return [part for part in re.split(pattern, text) if part]


def _uuid(args: list[Any]) -> str:
    _count("States.UUID", args, 0)
    return str(uuid.uuid4())


FUNCTIONS: dict[str, Callable[[list[Any]], Any]] = {
    "States.Format": lambda args: _format(None, args),
    "States.StringToJson": _string_to_json,
    "States.JsonToString": _json_to_string,
    "States.Array": _array,
    "States.ArrayPartition": _array_partition,
    "States.ArrayContains": _array_contains,
    "States.ArrayRange": _array_range,
    "States.ArrayGetItem": _array_get_item,
    "States.ArrayLength": _array_length,
    "States.ArrayUnique": _array_unique,
    "States.Base64Encode": _base64_encode,
    "States.Base64Decode": _base64_decode,
    "States.Hash": _hash,
    "States.JsonMerge": _json_merge,
    "States.MathRandom": _math_random,
    "States.MathAdd": _math_add,
    "States.StringSplit": _string_split,
    "States.UUID": _uuid,
}
