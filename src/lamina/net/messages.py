"""The request and response a handler sees: plain data, raw bytes, headers in their order."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(slots=True, init=False)
class Request:
    # Built for every request: a hand-written __init__ (init=False) costs a third of the
    # generated one, and a tenth of it once compiled (see README, compiled build).

    method: str
    # The raw path as sent (percent-encoding kept) and the raw query string (without "?").
    path: str
    query: str
    # Header names as the client spelled them, in order, repeated names kept.
    headers: list[tuple[str, str]]
    body: bytes = b""
    http_version: str = "1.1"
    client: tuple[str, int] = ("127.0.0.1", 0)
    server: tuple[str, int] = ("127.0.0.1", 0)
    # Epoch seconds at which the request was fully read.
    received_at: float = 0.0
    # Lower-cased name -> first value; built on the first lookup unless the server gave it.
    index: dict[str, str] | None = field(default=None, repr=False, compare=False)
    # Where the body went instead of ``body`` when it was streamed (``BodySink``).
    stream: BodySink | None = field(default=None, repr=False, compare=False)

    def __init__(
        self,
        method: str,
        path: str,
        query: str,
        headers: list[tuple[str, str]],
        body: bytes = b"",
        http_version: str = "1.1",
        client: tuple[str, int] = ("127.0.0.1", 0),
        server: tuple[str, int] = ("127.0.0.1", 0),
        received_at: float = 0.0,
        index: dict[str, str] | None = None,
        stream: BodySink | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.http_version = http_version
        self.client = client
        self.server = server
        self.received_at = received_at
        self.index = index
        self.stream = stream

    def header(self, name: str, default: str | None = None) -> str | None:
        """The first value of a header, matched without regard to case."""
        index = self.index
        if index is None:
            index = self.index = first_values(self.headers)
        return index.get(name.lower(), default)

    def header_values(self, name: str) -> list[str]:
        lowered = name.lower()
        return [value for key, value in self.headers if key.lower() == lowered]

    @property
    def host(self) -> str:
        return self.header("host") or f"{self.server[0]}:{self.server[1]}"


class BodySink(Protocol):
    """Where a streamed request body goes, chosen from the request's head (``Streamer``).

    The server calls ``write`` with each piece of the body in order; a True answer means the
    sink is behind, and the server stops reading the socket until the sink calls the ``resume``
    it was made with (from any thread). ``end`` follows the last piece, before the handler sees
    the request. ``abort`` comes when the client goes away mid-body and again once the handler
    has answered: it must be harmless after the body was taken (a sink deletes what nobody took).
    """

    def write(self, chunk: bytes) -> bool: ...

    def end(self) -> None: ...

    def abort(self) -> None: ...


# (method, raw path, raw query, headers index, resume) -> a sink for the body, an answer that
# refuses it before it is read (the connection then closes), or None for the buffered path.
Streamer = Callable[
    [str, str, str, dict[str, str], Callable[[], None]], "BodySink | Response | None"
]


def first_values(headers: list[tuple[str, str]]) -> dict[str, str]:
    index: dict[str, str] = {}
    for key, value in headers:
        index.setdefault(key.lower(), value)
    return index


@dataclass(slots=True, init=False)
class Response:
    # Built for every request: a hand-written __init__ (init=False) costs a third of the
    # generated one, and a tenth of it once compiled (see README, compiled build).

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def __init__(
        self, status: int = 200, headers: list[tuple[str, str]] | None = None, body: bytes = b""
    ) -> None:
        self.status = status
        self.headers = [] if headers is None else headers
        self.body = body

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None


@dataclass(slots=True, init=False)
class StreamingResponse(Response):
    """A response whose body is written piece by piece as ``chunks`` yields them (server-sent
    events): sent without Content-Length, and the connection closes once ``chunks`` ends. The
    server closes ``chunks`` (``aclose``) when the client goes away first."""

    chunks: AsyncGenerator[bytes, None]

    def __init__(
        self, status: int, headers: list[tuple[str, str]], chunks: AsyncGenerator[bytes, None]
    ) -> None:
        # Response.__init__ by name: zero-argument super() fails in a slots dataclass.
        Response.__init__(self, status, headers)
        self.chunks = chunks


@dataclass(slots=True, init=False)
class FileResponse(Response):
    """A response whose body is ``length`` bytes of the file at ``path`` from ``offset``: sent
    with its Content-Length, read a chunk at a time off the event loop (a large S3 object is
    never whole in memory)."""

    path: str
    offset: int
    length: int

    def __init__(
        self, status: int, headers: list[tuple[str, str]], path: str, offset: int, length: int
    ) -> None:
        Response.__init__(self, status, headers)
        self.path = path
        self.offset = offset
        self.length = length

    def buffered(self) -> Response:
        """The same answer with its body read into memory (blocking: for callers in process,
        whose answers are small, as an API Gateway integration's)."""
        with open(self.path, "rb") as source:
            source.seek(self.offset)
            body = source.read(self.length)
        return Response(self.status, self.headers, body)


def json_response(status: int, body: bytes, extra: list[tuple[str, str]] | None = None) -> Response:
    headers = [("Content-Type", "application/json")]
    if extra:
        headers += extra
    return Response(status, headers, body)
