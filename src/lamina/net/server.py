"""An HTTP/1.1 server: one asyncio protocol per connection on httptools' parser.

Contract: for each complete request the handler is awaited and its ``Response`` written back;
requests pipelined on one connection are answered in order, one at a time (reading pauses while too
many wait), by one task that lives as long as the connection (a task per request costs more than the
rest of the server's work on it). Keep-alive follows HTTP/1.1 (and ``Connection: keep-alive`` on
1.0); every answer is HTTP/1.1. ``Expect: 100-continue`` is answered once the headers are read,
unless the declared body is too large. A body larger than ``max_body`` gets the ``too_large`` answer
and the connection closes. A handler that raises produces 500 and the error is logged; it never
takes the server down. A client that goes away mid-request does not cancel its handler (an
invocation runs to its end, as on AWS); the answer is dropped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from email.utils import formatdate
from http import HTTPStatus
from typing import cast

import httptools

from lamina.net.messages import Request, Response, first_values

log = logging.getLogger("lamina.net")
Handler = Callable[[Request], Awaitable[Response]]

_REASONS = {s.value: s.phrase.encode() for s in HTTPStatus}
_SKIPPED = frozenset({"content-length", "connection", "transfer-encoding", "date"})
# Pipelined requests waiting on one connection before it stops reading.
_MAX_PIPELINED = 32
_INTERNAL_ERROR = Response(
    500, [("Content-Type", "application/json")], b'{"message":"Internal server error"}'
)
DEFAULT_TOO_LARGE = Response(
    413, [("Content-Type", "application/json")], b'{"message":"Request Too Long"}'
)


class _Clock:
    """The Date header, formatted at most once a second (formatting per response shows up in
    profiles of the hot path)."""

    def __init__(self) -> None:
        self._second = 0
        self._value = b""

    def date(self) -> bytes:
        now = int(time.time())
        if now != self._second:
            self._second = now
            self._value = formatdate(now, usegmt=True).encode()
        return self._value


_CLOCK = _Clock()


def render(response: Response, keep_alive: bool, head_only: bool = False) -> bytes:
    """The bytes of ``response``: Content-Length, Date and Connection are always Lamina's."""
    parts = [b"HTTP/1.1 %d %s\r\n" % (response.status, _REASONS.get(response.status, b"Unknown"))]
    for name, value in response.headers:
        if name.lower() in _SKIPPED:
            continue
        parts.append(f"{name}: {value}\r\n".encode("latin-1", "replace"))
    body = response.body
    parts.append(b"Content-Length: %d\r\nDate: %s\r\n" % (len(body), _CLOCK.date()))
    parts.append(b"Connection: keep-alive\r\n\r\n" if keep_alive else b"Connection: close\r\n\r\n")
    if not head_only and body:
        parts.append(body)
    return b"".join(parts)


class HttpProtocol(asyncio.Protocol):
    def __init__(self, handler: Handler, max_body: int, too_large: Response) -> None:
        self._handler = handler
        self._max_body = max_body
        self._too_large_answer = too_large
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

    def connection_lost(self, exc: Exception | None) -> None:
        # A handler running now is not cancelled: its answer is dropped when it comes.
        self._transport = None
        self._waiting.clear()
        self._wake()

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._reply_and_close(Response(400, [], b"Upgrades are not supported"))
        except httptools.HttpParserError:
            self._reply_and_close(Response(400, [("Content-Type", "text/plain")], b"Bad Request"))

    # -- parser callbacks ------------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = []
        self._body = []
        self._size = 0
        self._too_large = False
        self._expect_continue = False

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        index = self._index = first_values(self._headers)
        length = index.get("content-length")
        if length is not None and length.isdigit() and int(length) > self._max_body:
            self._too_large = True
        expect = index.get("expect")
        if expect is not None and expect.lower() == "100-continue":
            self._expect_continue = True
        if self._too_large and self._expect_continue:
            # The client waits for our word before sending the body: it gets the refusal.
            self._reply_and_close(self._too_large_answer)
        elif self._expect_continue and self._transport is not None:
            self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
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
        path, _, query = self._url.decode("latin-1").partition("?")
        body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
        request = Request(
            method=self._parser.get_method().decode("ascii"),
            path=path,
            query=query,
            headers=self._headers,
            body=body,
            http_version=self._parser.get_http_version(),
            client=self._client,
            server=self._server,
            received_at=time.time(),
            index=self._index,
        )
        self._waiting.append((request, bool(self._parser.should_keep_alive())))
        if self._worker is None:
            self._worker = asyncio.get_running_loop().create_task(self._work())
        else:
            self._wake()
        if len(self._waiting) >= _MAX_PIPELINED and self._transport is not None:
            self._transport.pause_reading()
            self._paused = True

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
            transport = self._transport
            if transport is None or transport.is_closing():
                break
            transport.write(render(response, keep_alive, request.method == "HEAD"))
            if not keep_alive:
                transport.close()
                break
        self._worker = None

    def _reply_and_close(self, response: Response) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(render(response, keep_alive=False))
            self._transport.close()


async def serve(
    handler: Handler,
    host: str,
    port: int,
    max_body: int = 10 * 1024 * 1024,
    too_large: Response = DEFAULT_TOO_LARGE,
) -> asyncio.Server:
    """Listen on ``host:port`` (0 picks a free port: read it from ``server.sockets``)."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: HttpProtocol(handler, max_body, too_large),
        host,
        port,
        reuse_address=True,
        backlog=1024,
    )
