"""The messages the engine and an execution environment (or the zygote) exchange, and their frames.

Every message is a typed record declared here, the one module both sides import: the engine packs
an ``Invoke`` and the environment unpacks it, the environment packs a ``Result`` and the engine
unpacks it. Standard library only, like the rest of the runtime.

A frame is ``kind (1 byte) | header length (4, big-endian) | body length (4) | header | body``.
The header is a message's fields in declaration order, as a JSON array (ids, deadlines, context
fields); the body is raw bytes (the event, the result). Keeping payloads out of the JSON header
means a 6 MB event is copied, never re-encoded. Both ends ship together (the zygote runs the
engine's own copy of this module), so fields are positional: adding one means adding it at the
end, with a default, on both sides at once.

The engine and an environment talk over two pipes, one each way (see ``Channel``): with a socket
pair, the engine reading a reply wakes the environment already asleep on its next read (a Unix
socket wakes its writer's waiters when buffer space frees up), a wasted context switch on every
invocation.

Engine -> environment: ``INVOKE`` (``Invoke``, the event as body).
Environment -> engine: exactly one ``READY`` or ``INIT_ERROR`` after start (``Ready``; an error
document as body for ``INIT_ERROR``), then one ``RESULT`` or ``ERROR`` per ``INVOKE``, in order
(``Result``; the result or an error document as body).

Engine <-> zygote (a SOCK_SEQPACKET socket, one frame per message): ``READY`` once warm
(``ZygoteReady``); ``SPAWN`` (``Spawn``, with the environment's pipes and log pipe attached as
file descriptors) answered by ``SPAWNED`` (``Spawned``); ``EXITED`` (``Exited``) whenever a child
the zygote forked has been reaped.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Callable
from json.scanner import make_scanner
from typing import Any, NamedTuple

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
# Environment -> engine, header []: the function stopped at a breakpoint() under pdb (a person
# is at the prompt), so its deadline no longer applies to this init or invocation.
PAUSED = b"d"

# Encodes a header (a tuple of plain values) to compact JSON bytes. The engine passes a faster
# encoder than the standard library's; the runtime uses ``dumps``.
Dumps = Callable[[Any], bytes]
Loads = Callable[[bytes], Any]
_COMPACT = json.JSONEncoder(separators=(",", ":"))
# The C scanner json.loads itself ends up in: (value, end) of the JSON value at an index.
# (typeshed declares make_scanner as a class whose constructor takes a decoder's attributes.)
_SCAN: Callable[[str, int], tuple[Any, int]] = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]
# A str as a quoted, escaped, ASCII JSON string (what json.dumps does with one, minus its checks).
_QUOTE = json.encoder.encode_basestring_ascii


def dumps(value: Any) -> bytes:
    """Compact JSON of plain data, with the standard library."""
    return _COMPACT.encode(value).encode()


def loads(data: bytes) -> Any:
    """``json.loads(data)``, a few microseconds sooner for the small documents of every
    invocation (headers, most events): a UTF-8 text that is exactly one JSON value goes straight
    to the C scanner, skipping ``json.loads``' encoding detection and whitespace matching.
    Anything else (surrounding whitespace, a BOM, other encodings, errors) is ``json.loads``'
    own answer, so what is accepted and every error message are the standard library's."""
    try:
        text = data.decode()
        value, end = _SCAN(text, 0)
    except (StopIteration, ValueError):
        return json.loads(data)
    if end != len(text):
        return json.loads(data)
    return value


# ``unpack`` is ``_make``: a header of the wrong length raises TypeError; values are as decoded
# (the sender packed them from these very fields).


class Invoke(NamedTuple):
    """Run the handler once on the frame's body (the event)."""

    request_id: str
    # Wall-clock milliseconds since the epoch (``context.get_remaining_time_in_millis``).
    deadline_ms: int
    # The ARN the caller invoked (with its qualifier): ``context.invoked_function_arn``.
    arn: str
    trace_id: str | None = None
    # The X-Amz-Client-Context header: base64 of a JSON document.
    client_context: str | None = None
    # The Cognito identity as a JSON document.
    identity: str | None = None
    # The X-Amz-Tenant-Id header of a tenant-isolated function: ``context.tenant_id``.
    tenant_id: str | None = None

    def pack(self, body: bytes, dumps: Dumps = dumps) -> bytes:
        return frame(INVOKE, dumps(tuple(self)), body)

    @classmethod
    def unpack(cls, header: list[Any]) -> Invoke:
        return cls._make(header)


class Result(NamedTuple):
    """How an invocation ended: a result (``RESULT``) or an error document (``ERROR``)."""

    request_id: str
    # The handler's duration, timed inside the environment.
    ms: float
    # The environment's peak resident set so far.
    rss_kb: int

    def pack(self, body: bytes, failed: bool = False) -> bytes:
        # Sent once per invocation: formatted directly, not through a JSON encoder.
        head = b"[%s,%r,%d]" % (_QUOTE(self.request_id).encode(), self.ms, self.rss_kb)
        return frame(ERROR if failed else RESULT, head, body)

    @classmethod
    def unpack(cls, header: list[Any]) -> Result:
        return cls._make(header)


class Ready(NamedTuple):
    """How init ended: the handler is imported (``READY``) or it failed (``INIT_ERROR``, with an
    error document as body)."""

    init_ms: float
    rss_kb: int

    def pack(self, body: bytes = b"", failed: bool = False) -> bytes:
        return frame(INIT_ERROR if failed else READY, dumps(tuple(self)), body)

    @classmethod
    def unpack(cls, header: list[Any]) -> Ready:
        return cls._make(header)


class ZygoteReady(NamedTuple):
    """The zygote has preloaded its modules and serves ``SPAWN`` requests."""

    pid: int
    # The protections this host refuses environments, each with why (empty when none).
    sandbox_missing: list[str] = []

    def pack(self) -> bytes:
        return frame(READY, dumps(tuple(self)))

    @classmethod
    def unpack(cls, header: list[Any]) -> ZygoteReady:
        return cls._make(header)


class Spawn(NamedTuple):
    """Fork an execution environment: what ``runtime.bootstrap.run`` prepares it with."""

    # The engine's number for this request, echoed in ``Spawned``.
    ref: int
    env: dict[str, str]
    cwd: str
    # Directories put first on ``sys.path``, in order.
    path: list[str]
    handler: str
    tmp: str
    # "Text" or "JSON"; the application log level ("" for text logs).
    log_format: str
    log_level: str
    # RLIMIT_DATA in bytes, 0 for none.
    data_limit: int
    # Results escape non-ASCII characters (every Python runtime but python3.12).
    ensure_ascii: bool
    # Directories hidden from the function (Lamina's state, other functions' code), but for
    # what it runs from; resolved (no symbolic links), as ``own`` and ``tmp`` are.
    hidden: list[str] = []
    # What it runs from: its code, packages and layers (made read-only).
    own: list[str] = []
    # Set apart by every mechanism ``runtime.sandbox`` has (False: a plain fork, for comparison).
    isolate: bool = True
    # The memory cgroup's limit in bytes (MemorySize), 0 for none.
    memory_limit: int = 0
    # Run under a debugger: [] for none, ["debugpy", host, port, library directory] (listen,
    # wait for a client, then import the handler) or ["pdb", tty] (``breakpoint()`` opens pdb
    # on that terminal device).
    debug: list[Any] = []
    # [uid, gid] an isolated environment runs as when the zygote runs as root: [-1, -1] for ids
    # of its own (``sandbox.own_ids``), [] for root's.
    user: list[int] = []

    def pack(self, dumps: Dumps = dumps) -> bytes:
        return frame(SPAWN, dumps(tuple(self)))

    @classmethod
    def unpack(cls, header: list[Any]) -> Spawn:
        return cls._make(header)


class Spawned(NamedTuple):
    """The answer to ``Spawn`` number ``ref``: the environment's pid."""

    ref: int
    pid: int

    def pack(self) -> bytes:
        return frame(SPAWNED, dumps(tuple(self)))

    @classmethod
    def unpack(cls, header: list[Any]) -> Spawned:
        return cls._make(header)


class Exited(NamedTuple):
    """A child of the zygote was reaped: its exit code, or minus the signal that killed it."""

    pid: int
    status: int
    # The kernel killed it for exceeding its memory cgroup's limit.
    out_of_memory: bool = False

    def pack(self) -> bytes:
        return frame(EXITED, dumps(tuple(self)))

    @classmethod
    def unpack(cls, header: list[Any]) -> Exited:
        return cls._make(header)


class Frame(NamedTuple):
    """A frame as read: its kind, its header decoded (a message's fields, for ``unpack``), its
    body."""

    kind: bytes
    header: list[Any]
    body: bytes


def frame(kind: bytes, head: bytes, body: bytes = b"") -> bytes:
    """A frame from an already encoded JSON header."""
    return PREFIX.pack(kind, len(head), len(body)) + head + body


def decode(data: bytes, loads: Loads = loads) -> Frame:
    """One whole frame (as received from a SOCK_SEQPACKET socket)."""
    kind, hlen, blen = PREFIX.unpack_from(data)
    start = PREFIX_SIZE
    header = loads(data[start : start + hlen])
    return Frame(kind, header, bytes(data[start + hlen : start + hlen + blen]))


class FrameReader:
    """Cuts a byte stream into frames: feed it what the socket gave, take the whole frames."""

    __slots__ = ("_buf", "_loads")

    def __init__(self, loads: Loads = loads) -> None:
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

    def send(self, data: bytes) -> None:
        """A packed frame (a message's ``pack()``)."""
        written = os.write(self.outbox, data)
        if written < len(data):  # more than the pipe holds: the rest as the engine reads
            view = memoryview(data)[written:]
            while view:
                view = view[os.write(self.outbox, view) :]
