"""The frames the engine and an execution environment exchange.

A frame is ``kind (1 byte) | header length (4, big-endian) | body length (4) | header | body``.
The header is a small JSON object (ids, deadlines, context fields); the body is raw bytes (the
event, the result). Keeping payloads out of the JSON header means a 6 MB event is copied, never
re-encoded.

The engine and an environment talk over two pipes, one each way (see ``Channel``): with a socket
pair, the engine reading a reply wakes the environment already asleep on its next read (a Unix
socket wakes its writer's waiters when buffer space frees up), a wasted context switch on every
invocation.

Engine -> environment: ``INVOKE``.
Environment -> engine: exactly one ``READY`` or ``INIT_ERROR`` after start, then one ``RESULT`` or
``ERROR`` per ``INVOKE``, in order.

Engine <-> zygote (a SOCK_SEQPACKET socket, one frame per message): ``SPAWN`` (with the
environment's socket and log pipe attached as file descriptors) answered by ``SPAWNED``; ``EXITED``
whenever a child the zygote forked has been reaped.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Callable
from typing import Any, NamedTuple

import orjson

PREFIX = struct.Struct(">cII")
PREFIX_SIZE = PREFIX.size

INVOKE = b"v"
READY = b"i"
INIT_ERROR = b"e"
RESULT = b"r"
ERROR = b"x"
SPAWN = b"s"
SPAWNED = b"p"
EXITED = b"q"


def loads(data: bytes) -> Any:
    """``json.loads``, faster: orjson parses, and whatever it refuses (integers beyond 64 bits,
    ``NaN``, lone surrogates) is parsed, or refused with its message, by ``json`` itself."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


class Frame(NamedTuple):
    kind: bytes
    header: dict[str, Any]
    body: bytes


def encode(kind: bytes, header: dict[str, Any], body: bytes = b"") -> bytes:
    return frame(kind, json.dumps(header, separators=(",", ":")).encode(), body)


def frame(kind: bytes, head: bytes, body: bytes = b"") -> bytes:
    """A frame from an already encoded JSON header (the engine encodes with a faster library)."""
    return PREFIX.pack(kind, len(head), len(body)) + head + body


def decode(data: bytes) -> Frame:
    """One whole frame (as received from a SOCK_SEQPACKET socket)."""
    kind, hlen, blen = PREFIX.unpack_from(data)
    start = PREFIX_SIZE
    header = json.loads(data[start : start + hlen])
    return Frame(kind, header, bytes(data[start + hlen : start + hlen + blen]))


class FrameReader:
    """Cuts a byte stream into frames: feed it what the socket gave, take the whole frames."""

    __slots__ = ("_buf", "_loads")

    def __init__(self, loads: Callable[[bytes], Any] = json.loads) -> None:
        self._buf = bytearray()
        self._loads = loads

    def feed(self, data: bytes) -> list[Frame]:
        buf = self._buf
        if not buf and len(data) >= PREFIX_SIZE:
            # The common case, one whole frame per read: decode it without copying into the buffer.
            kind, hlen, blen = PREFIX.unpack_from(data)
            if len(data) == PREFIX_SIZE + hlen + blen:
                header = self._loads(data[PREFIX_SIZE : PREFIX_SIZE + hlen])
                return [Frame(kind, header, data[PREFIX_SIZE + hlen :])]
        buf += data
        frames: list[Frame] = []
        while len(buf) >= PREFIX_SIZE:
            kind, hlen, blen = PREFIX.unpack_from(buf)
            end = PREFIX_SIZE + hlen + blen
            if len(buf) < end:
                break
            header = self._loads(bytes(buf[PREFIX_SIZE : PREFIX_SIZE + hlen]))
            frames.append(Frame(kind, header, bytes(buf[PREFIX_SIZE + hlen : end])))
            del buf[:end]
        return frames

    @property
    def pending(self) -> int:
        return len(self._buf)


class Channel:
    """The environment's end: blocking reads of whole frames from its inbox, writes of whole
    frames to its outbox."""

    __slots__ = ("inbox", "outbox")

    def __init__(self, inbox: int, outbox: int) -> None:
        self.inbox = inbox
        self.outbox = outbox

    def receive(self) -> Frame | None:
        """The next frame, or None when the engine closed its end."""
        # One read brings a small frame whole (one system call per invocation); a larger one
        # is completed into a buffer of its exact size.
        first = os.read(self.inbox, 65536)
        if len(first) < PREFIX_SIZE:
            rest = self._read_exact(PREFIX_SIZE - len(first)) if first else None
            if rest is None:
                return None
            first += rest
        kind, hlen, blen = PREFIX.unpack_from(first)
        total = PREFIX_SIZE + hlen + blen
        if len(first) < total:
            rest = self._read_exact(total - len(first))
            if rest is None:
                return None
            first += rest
        start = PREFIX_SIZE
        return Frame(kind, loads(first[start : start + hlen]), first[start + hlen : total])

    def _read_exact(self, size: int) -> bytes | None:
        buf = bytearray(size)
        view = memoryview(buf)
        got = 0
        while got < size:
            n = os.readv(self.inbox, [view[got:]])
            if n == 0:
                return None
            got += n
        return bytes(buf)

    def send(self, kind: bytes, header: dict[str, Any], body: bytes = b"") -> None:
        self.send_raw(kind, json.dumps(header, separators=(",", ":")).encode(), body)

    def send_raw(self, kind: bytes, head: bytes, body: bytes = b"") -> None:
        """A frame whose JSON header is already encoded."""
        data = frame(kind, head, body)
        written = os.write(self.outbox, data)
        if written < len(data):  # more than the pipe holds: the rest as the engine reads
            view = memoryview(data)[written:]
            while view:
                view = view[os.write(self.outbox, view) :]
