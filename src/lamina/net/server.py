"""An HTTP/1.1 server: one asyncio protocol per connection on httptools' parser.

Contract: for each complete request the handler is awaited and its ``Response`` written back;
requests pipelined on one connection are answered in order, one at a time (reading pauses while too
many wait), by one task that lives as long as the connection (a task per request costs more than the
rest of the server's work on it). Keep-alive follows HTTP/1.1 (and ``Connection: keep-alive`` on
1.0); every answer is HTTP/1.1. ``Expect: 100-continue`` is answered once the headers are read,
unless the declared body is too large. A body larger than ``max_body`` gets the ``too_large`` answer
and the connection closes. A request line and headers larger than ``max_head`` bytes in all get 431
as soon as the limit is passed, before more is buffered. Headers must arrive within
``header_timeout`` seconds of the request's first byte (or of the connection's opening), else 408
and the connection closes (a slow client cannot hold a connection with a trickle of header bytes);
a connection with no request in flight that sends nothing for ``idle_timeout`` seconds is closed.
One sweep per server checks both once a second, so the request path pays no timer
(it also keeps the server's ``WallClock`` in step: request times cost no clock read). A handler
that raises produces 500 and the error is logged; it never takes the server down. A client that
goes away mid-request does not cancel its handler (an invocation runs to its end, as on AWS); the
answer is dropped. A ``StreamingResponse`` (server-sent events) is written chunk by chunk without a
length and ends the connection; until it ends, the idle timeout does not apply to it. A
``FileResponse`` is sent from its file in chunks read off the loop, waiting for the socket to
drain between them.

Streamed request bodies: when the server has a ``streamer``, it is asked once per request, as the
head completes, whether the body should go to a ``BodySink`` instead of memory (an S3 upload);
everything else keeps the buffered path. A sink's body is not held to ``max_body`` (the streamer
sets its own limit, and may refuse with an answer at once); reading pauses while the sink says it
is behind, so memory stays bounded however large the body. The request then carries the sink as
``stream`` and an empty ``body``; the sink is aborted when the client goes away mid-body and
after the handler answers.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import cast

import httptools

from lamina.clock import SYSTEM
from lamina.net.messages import (
    BodySink,
    FileResponse,
    Request,
    Response,
    Streamer,
    StreamingResponse,
    first_values,
)
from lamina.net.ports import PortInUseError
from lamina.timestamps import http_date

log = logging.getLogger("lamina.net")
Handler = Callable[[Request], Awaitable[Response]]

_REASONS = {s.value: s.phrase.encode() for s in HTTPStatus}
# Status lines, formatted once.
_STATUS_LINES = {code: b"HTTP/1.1 %d %s\r\n" % (code, reason) for code, reason in _REASONS.items()}
_SKIPPED = frozenset({"content-length", "connection", "transfer-encoding", "date"})
# Pipelined requests waiting on one connection before it stops reading.
_MAX_PIPELINED = 32
_INTERNAL_ERROR = Response(
    500, [("Content-Type", "application/json")], b'{"message":"Internal server error"}'
)
DEFAULT_TOO_LARGE = Response(
    413, [("Content-Type", "application/json")], b'{"message":"Request Too Long"}'
)
# API Gateway's limit on the request line and headers together (HTTP and REST APIs).
DEFAULT_MAX_HEAD = 10_240
_HEAD_TOO_LARGE = Response(
    431, [("Content-Type", "application/json")], b'{"message":"Request Header Fields Too Large"}'
)
_TIMED_OUT = Response(408, [("Content-Type", "application/json")], b'{"message":"Request Timeout"}')
# A FileResponse is read and written this much at a time.
_FILE_CHUNK = 1024 * 1024


class _HeadTooLarge(Exception):
    """Raised from a parser callback to stop parsing a request whose head is over the limit."""


class WallClock:
    """Epoch seconds from the event loop's monotonic clock: ``loop.time() + offset``.

    A request's arrival time is the loop time its last bytes came at (read anyway, for the
    timeouts), so no request pays a call for the wall clock. The offset is taken again on
    every sweep (at least once a second), so a step of the system clock shows within a second.
    Also formats the Date header, at most once a second (formatting per response shows up in
    profiles of the hot path).
    """

    __slots__ = ("_date", "_second", "offset")

    def __init__(self, loop_time: Callable[[], float] = time.monotonic) -> None:
        self.offset = 0.0
        self._second = -1
        self._date = b""
        self.sync(loop_time)

    def sync(self, loop_time: Callable[[], float]) -> None:
        self.offset = SYSTEM.wall() - loop_time()

    def date(self, now: float) -> bytes:
        """The Date header's value for epoch seconds ``now``."""
        second = int(now)
        if second != self._second:
            self._second = second
            self._date = http_date(second).encode()
        return self._date


def render(
    response: Response, keep_alive: bool, head_only: bool = False, date: bytes | None = None
) -> bytes:
    """The bytes of ``response``: Content-Length, Date (``date``, else now) and Connection are
    always Lamina's."""
    status = response.status
    start = _STATUS_LINES.get(status) or b"HTTP/1.1 %d Unknown\r\n" % status
    # The header lines as one text, encoded once.
    lines = []
    for name, value in response.headers:
        if name.lower() not in _SKIPPED:
            lines.append(f"{name}: {value}\r\n")
    body = response.body
    length = len(body)
    if head_only and not body:
        # A HEAD answer may state the length its GET would have (S3's HeadObject).
        declared = response.header("content-length")
        length = int(declared) if declared is not None and declared.isdigit() else 0
    if date is None:
        date = http_date(int(SYSTEM.wall())).encode()
    return b"%s%sContent-Length: %d\r\nDate: %s\r\n%s%s" % (
        start,
        "".join(lines).encode("latin-1", "replace"),
        length,
        date,
        b"Connection: keep-alive\r\n\r\n" if keep_alive else b"Connection: close\r\n\r\n",
        b"" if head_only else body,
    )


@dataclass(frozen=True, slots=True)
class Limits:
    """What one connection may send, and how slowly."""

    max_body: int = 10 * 1024 * 1024
    too_large: Response = field(default_factory=lambda: DEFAULT_TOO_LARGE)
    max_head: int = DEFAULT_MAX_HEAD
    header_timeout: float = 30.0
    idle_timeout: float = 75.0
    # Asked, as each head completes, whether its body streams to a sink (see the module's
    # docstring); None: every body is buffered. Only bodies declared at least ``stream_from``
    # bytes long (or sent chunked, length unknown) are asked about: the rest pay nothing.
    streamer: Streamer | None = None
    stream_from: int = 1024 * 1024


class HttpProtocol(asyncio.Protocol):
    def __init__(
        self,
        handler: Handler,
        limits: Limits,
        connections: set[HttpProtocol] | None = None,
        clock: WallClock | None = None,
    ) -> None:
        """``connections`` and ``clock`` are the server's (its sweep keeps the clock in step);
        a connection made alone gets a clock of its own."""
        self._handler = handler
        self._own_clock = clock is None
        self._clock = clock if clock is not None else WallClock()
        self._max_body = limits.max_body
        self._too_large_answer = limits.too_large
        self._streamer = limits.streamer
        self._stream_from = limits.stream_from
        # The current request's sink, while its body arrives; whether the sink paused reading.
        self._sink: BodySink | None = None
        self._sink_paused = False
        # Set while a FileResponse waits for the socket to drain.
        self._drained: asyncio.Future[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._max_head = limits.max_head
        self._head_size = self._head_raw = 0
        self._connections = connections
        # Loop times the sweep reads: when the current request's head began (None once it is
        # read), when bytes last came or an answer last left, and requests not yet answered.
        self._head_since: float | None = None
        self._last_seen = 0.0
        self._in_flight = 0
        self._now: Callable[[], float] = time.monotonic  # the loop's clock once connected
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._url = b""
        self._headers: list[tuple[str, str]] = []
        self._body: list[bytes] = []
        self._size = 0
        self._too_large = False
        self._expect_continue = False
        self._index: dict[str, str] = {}
        self._waiting: deque[tuple[Request, bool]] = deque()
        self._worker: asyncio.Task[None] | None = None
        # Set while the worker waits for the next request.
        self._wakeup: asyncio.Future[None] | None = None
        self._paused = False
        self._client: tuple[str, int] = ("127.0.0.1", 0)
        self._server: tuple[str, int] = ("127.0.0.1", 0)

    # -- connection ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        sock = transport.get_extra_info("sockname")
        if isinstance(peer, tuple):
            self._client = (str(peer[0]), int(peer[1]))
        if isinstance(sock, tuple):
            self._server = (str(sock[0]), int(sock[1]))
        self._loop = asyncio.get_running_loop()
        self._now = self._loop.time
        if self._own_clock:
            self._clock.sync(self._now)
        self._head_since = self._last_seen = self._now()
        if self._connections is not None:
            self._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        # A handler running now is not cancelled: its answer is dropped when it comes.
        self._transport = None
        self._waiting.clear()
        self._wake()
        if self._sink is not None:
            self._sink.abort()
            self._sink = None
        self._resume_writing()
        if self._connections is not None:
            self._connections.discard(self)

    def data_received(self, data: bytes) -> None:
        self._last_seen = self._now()
        try:
            self._parser.feed_data(data)
            if self._head_since is not None:
                # Still in a head: the parser holds a header until its line ends, so the bytes
                # themselves are counted too (with room for the separators the fields omit).
                self._head_raw += len(data)
                if self._head_raw > self._max_head + 2048:
                    raise _HeadTooLarge
        except _HeadTooLarge:
            self._reply_and_close(_HEAD_TOO_LARGE)
        except httptools.HttpParserCallbackError as error:
            if isinstance(error.__context__, _HeadTooLarge):
                self._reply_and_close(_HEAD_TOO_LARGE)
            else:
                raise
        except httptools.HttpParserUpgrade:
            self._reply_and_close(Response(400, [], b"Upgrades are not supported"))
        except httptools.HttpParserError:
            self._reply_and_close(Response(400, [("Content-Type", "text/plain")], b"Bad Request"))

    # -- parser callbacks ------------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self._head_since is None:
            self._head_since = self._last_seen
        self._url = b""
        self._headers = []
        self._body = []
        self._size = 0
        self._too_large = False
        self._expect_continue = False

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._head_size += len(url)
        if self._head_size > self._max_head:
            raise _HeadTooLarge

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_size += len(name) + len(value)
        if self._head_size > self._max_head:
            raise _HeadTooLarge
        self._headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        self._head_since = None
        self._head_size = self._head_raw = 0
        index = self._index = first_values(self._headers)
        length = index.get("content-length")
        declared = int(length) if length is not None and length.isdigit() else -1
        if (
            self._streamer is not None
            and (declared >= self._stream_from or "transfer-encoding" in index)
            and self._stream_body(index)
        ):
            return
        if declared > self._max_body:
            self._too_large = True
        expect = index.get("expect")
        if expect is not None and expect.lower() == "100-continue":
            self._expect_continue = True
        if self._too_large and self._expect_continue:
            # The client waits for our word before sending the body: it gets the refusal.
            self._reply_and_close(self._too_large_answer)
        elif self._expect_continue and self._transport is not None:
            self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _stream_body(self, index: dict[str, str]) -> bool:
        """Ask the streamer about this request's body; True once it is decided (a sink took it,
        or it was refused)."""
        assert self._streamer is not None
        path, _, query = self._url.decode("latin-1").partition("?")
        method = self._parser.get_method().decode("ascii")
        decision = self._streamer(method, path, query, index, self._resume_sink)
        if decision is None:
            return False
        if isinstance(decision, Response):
            self._reply_and_close(decision)
            self._too_large = True  # whatever body still comes is dropped
            return True
        self._sink = decision
        if index.get("expect", "").lower() == "100-continue" and self._transport is not None:
            self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        return True

    def _resume_sink(self) -> None:
        """The sink caught up: resume reading (called from any thread)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._sink_caught_up)

    def _sink_caught_up(self) -> None:
        if self._sink_paused and self._transport is not None:
            self._sink_paused = False
            if not self._paused:
                self._transport.resume_reading()

    def on_body(self, body: bytes) -> None:
        sink = self._sink
        if sink is not None:
            if sink.write(body) and not self._sink_paused and self._transport is not None:
                self._sink_paused = True
                self._transport.pause_reading()
            return
        if self._too_large:
            return
        self._size += len(body)
        if self._size > self._max_body:
            self._too_large = True
            self._body = []
        else:
            self._body.append(body)

    def on_message_complete(self) -> None:
        if self._too_large:
            self._reply_and_close(self._too_large_answer)
            return
        sink = self._sink
        if sink is not None:
            self._sink = None
            sink.end()
        path, _, query = self._url.decode("latin-1").partition("?")
        body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
        parser = self._parser
        # Positional: Request's order (method, path, query, headers, body, http_version, client,
        # server, received_at, index); keywords cost more on every request.
        request = Request(
            parser.get_method().decode("ascii"),
            path,
            query,
            self._headers,
            body,
            parser.get_http_version(),
            self._client,
            self._server,
            # The loop time the request's last bytes came at, on the wall clock.
            self._last_seen + self._clock.offset,
            self._index,
            sink,
        )
        self._waiting.append((request, bool(parser.should_keep_alive())))
        self._in_flight += 1
        if self._worker is None:
            self._worker = asyncio.get_running_loop().create_task(self._work())
        else:
            wakeup = self._wakeup
            if wakeup is not None and not wakeup.done():
                wakeup.set_result(None)
        if len(self._waiting) >= _MAX_PIPELINED and self._transport is not None:
            self._transport.pause_reading()
            self._paused = True

    def _date(self, now: float) -> bytes:
        """The Date header for loop time ``now``."""
        clock = self._clock
        return clock.date(now + clock.offset)

    # -- answering -------------------------------------------------------------------------

    def _wake(self) -> None:
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)

    async def _work(self) -> None:
        """Answer the connection's requests in order until it closes."""
        loop = asyncio.get_running_loop()
        while self._transport is not None:
            if not self._waiting:
                self._wakeup = loop.create_future()
                await self._wakeup
                self._wakeup = None
                continue
            request, keep_alive = self._waiting.popleft()
            if self._paused and len(self._waiting) < _MAX_PIPELINED // 2:
                self._paused = False
                self._transport.resume_reading()
            try:
                response = await self._handler(request)
            except Exception as error:
                log.error("handler failed on %s %s", request.method, request.path, exc_info=error)
                response = _INTERNAL_ERROR
            if request.stream is not None:
                request.stream.abort()  # what the handler did not take is deleted
            self._in_flight -= 1
            transport = self._transport
            if transport is None or transport.is_closing():
                break
            now = self._last_seen = loop.time()
            clock = self._clock
            date = clock.date(now + clock.offset)
            if isinstance(response, StreamingResponse):
                await self._stream(response, date)
                break
            if isinstance(response, FileResponse):
                if not await self._send_file(response, keep_alive, request.method == "HEAD", date):
                    break
                continue
            transport.write(render(response, keep_alive, request.method == "HEAD", date))
            if not keep_alive:
                transport.close()
                break
        self._worker = None

    async def _stream(self, response: StreamingResponse, date: bytes) -> None:
        """Write the head, then each chunk as it comes, until the chunks end or the client goes;
        then close. Counted in flight meanwhile, so the idle sweep leaves it open."""
        head = render(Response(response.status, response.headers), False, date=date)
        # The rendered head declares an empty body: the stream's length is not known.
        head = head.replace(b"Content-Length: 0\r\n", b"", 1)
        self._in_flight += 1
        chunks = response.chunks
        try:
            if self._transport is None:
                return
            self._transport.write(head)
            async for chunk in chunks:
                transport = self._transport
                if transport is None or transport.is_closing():
                    break
                transport.write(chunk)
                self._last_seen = self._now()
        except Exception as error:
            log.error("stream failed", exc_info=error)
        finally:
            self._in_flight -= 1
            await chunks.aclose()
            self._close()

    async def _send_file(
        self, response: FileResponse, keep_alive: bool, head_only: bool, date: bytes
    ) -> bool:
        """Write the head and the file's bytes; False when the connection is done."""
        head = render(Response(response.status, response.headers), keep_alive, True, date)
        head = head.replace(
            b"Content-Length: 0\r\n", b"Content-Length: %d\r\n" % response.length, 1
        )
        if self._transport is None:
            return False
        self._transport.write(head)
        if head_only:
            return keep_alive
        self._in_flight += 1
        loop = asyncio.get_running_loop()
        try:
            fd = await loop.run_in_executor(None, os.open, response.path, os.O_RDONLY)
        except OSError as error:
            self._in_flight -= 1
            log.error("cannot send %s", response.path, exc_info=error)
            self._close()
            return False
        try:
            at, left = response.offset, response.length
            while left > 0:
                chunk = await loop.run_in_executor(None, os.pread, fd, min(_FILE_CHUNK, left), at)
                transport = self._transport
                if not chunk or transport is None or transport.is_closing():
                    self._close()  # the file shrank, or the client left: the length is a lie now
                    return False
                transport.write(chunk)
                at += len(chunk)
                left -= len(chunk)
                self._last_seen = self._now()
                if self._drained is not None:
                    await self._drained
        finally:
            self._in_flight -= 1
            os.close(fd)
        if not keep_alive:
            self._close()
        return keep_alive

    def pause_writing(self) -> None:
        if self._drained is None:
            self._drained = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        self._resume_writing()

    def _resume_writing(self) -> None:
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    def _reply_and_close(self, response: Response) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(render(response, False, date=self._date(self._now())))
            self._transport.close()

    def sweep(self, now: float, limits: Limits) -> None:
        """Close the connection if its head is overdue, or it has been idle too long."""
        if self._head_since is not None and now - self._head_since > limits.header_timeout:
            self._reply_and_close(_TIMED_OUT)
        elif self._in_flight == 0 and now - self._last_seen > limits.idle_timeout:
            self._close()

    def _close(self) -> None:
        if self._transport is not None:
            self._transport.close()


async def serve(
    handler: Handler,
    host: str,
    port: int,
    max_body: int = 10 * 1024 * 1024,
    too_large: Response = DEFAULT_TOO_LARGE,
    limits: Limits | None = None,
) -> asyncio.Server:
    """Listen on ``host:port`` (0 picks a free port: read it from ``server.sockets``)."""
    loop = asyncio.get_running_loop()
    limits = limits or Limits(max_body=max_body, too_large=too_large)
    connections: set[HttpProtocol] = set()
    clock = WallClock(loop.time)
    try:
        server = await loop.create_server(
            lambda: HttpProtocol(handler, limits, connections, clock),
            host,
            port,
            reuse_address=True,
            backlog=1024,
        )
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortInUseError(errno.EADDRINUSE, host, port) from exc
        raise
    _SWEEPS[server] = loop.create_task(_sweep(server, connections, limits, clock))
    return server


# The sweep of each listening server, kept referenced until it ends.
_SWEEPS: dict[asyncio.Server, asyncio.Task[None]] = {}


async def _sweep(
    server: asyncio.Server, connections: set[HttpProtocol], limits: Limits, clock: WallClock
) -> None:
    loop = asyncio.get_running_loop()
    every = min(1.0, limits.header_timeout / 4, limits.idle_timeout / 4)
    try:
        while server.is_serving() or connections:
            await asyncio.sleep(every)
            now = loop.time()
            clock.sync(loop.time)
            for connection in list(connections):
                connection.sweep(now, limits)
    finally:
        _SWEEPS.pop(server, None)
