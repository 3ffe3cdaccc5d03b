"""An HTTP/1.1 server: one asyncio protocol per connection on httptools' parser.

Contract: for each complete request the handler is awaited and its ``Response`` written back;
requests pipelined on one connection are answered in order. Keep-alive follows HTTP/1.1 (and
``Connection: keep-alive`` on 1.0); every answer is HTTP/1.1. ``Expect: 100-continue`` is
answered at once. A body larger than ``max_body`` gets 413 and the connection closes. A handler
that raises produces 500 and the error is logged; it never takes the server down.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from email.utils import formatdate
from http import HTTPStatus

import httptools

from lamina.net.messages import Request, Response

log = logging.getLogger("lamina.net")
Handler = Callable[[Request], Awaitable[Response]]

_REASONS = {s.value: s.phrase for s in HTTPStatus}
_DATE: list[object] = [0.0, b""]


def _date_header() -> bytes:
    # Formatting a date per response is measurable on the hot path: refresh once a second.
    now = time.time()
    if now - float(_DATE[0]) >= 1.0:  # type: ignore[arg-type]
        _DATE[0] = now
        _DATE[1] = formatdate(now, usegmt=True).encode()
    return _DATE[1]  # type: ignore[return-value]


def render(response: Response, keep_alive: bool, head_only: bool = False) -> bytes:
    reason = _REASONS.get(response.status, "Unknown")
    lines = [f"HTTP/1.1 {response.status} {reason}".encode()]
    has_length = False
    for name, value in response.headers:
        lowered = name.lower()
        if lowered == "content-length":
            has_length = True
        elif lowered in ("connection", "transfer-encoding"):
            continue
        lines.append(f"{name}: {value}".encode("latin-1", "replace"))
    if not has_length:
        lines.append(b"Content-Length: " + str(len(response.body)).encode())
    lines.append(b"Date: " + _date_header())
    lines.append(b"Connection: keep-alive" if keep_alive else b"Connection: close")
    head = b"\r\n".join(lines) + b"\r\n\r\n"
    return head if head_only else head + response.body


class HttpProtocol(asyncio.Protocol):
    def __init__(self, handler: Handler, max_body: int) -> None:
        self._handler = handler
        self._max_body = max_body
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._url = b""
        self._headers: list[tuple[str, str]] = []
        self._body: list[bytes] = []
        self._size = 0
        self._too_large = False
        self._queue: asyncio.Queue[tuple[Request, bool] | None] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._client: tuple[str, int] = ("127.0.0.1", 0)
        self._server: tuple[str, int] = ("127.0.0.1", 0)
        self._closing = False

    # -- connection ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        sock = transport.get_extra_info("sockname")
        if isinstance(peer, tuple):
            self._client = (str(peer[0]), int(peer[1]))
        if isinstance(sock, tuple):
            self._server = (str(sock[0]), int(sock[1]))

    def connection_lost(self, exc: Exception | None) -> None:
        self._closing = True
        self._transport = None
        if self._queue is not None:
            self._queue.put_nowait(None)

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

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1")
        text = value.decode("latin-1")
        self._headers.append((key, text))
        if key.lower() == "expect" and text.lower() == "100-continue" and self._transport:
            self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_headers_complete(self) -> None:
        for key, value in self._headers:
            if key.lower() == "content-length" and value.isdigit() and int(value) > self._max_body:
                self._too_large = True

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
            self._reply_and_close(
                Response(
                    413, [("Content-Type", "application/json")], b'{"message":"Request Too Long"}'
                )
            )
            return
        raw = self._url.decode("latin-1")
        path, _, query = raw.partition("?")
        version = self._parser.get_http_version()
        request = Request(
            method=self._parser.get_method().decode("ascii"),
            path=path,
            query=query,
            headers=self._headers,
            body=b"".join(self._body),
            http_version=version,
            client=self._client,
            server=self._server,
            received_at=time.time(),
        )
        keep_alive = bool(self._parser.should_keep_alive())
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._worker = asyncio.get_running_loop().create_task(self._work())
        self._queue.put_nowait((request, keep_alive))

    # -- answering -------------------------------------------------------------------------

    async def _work(self) -> None:
        assert self._queue is not None
        while True:
            item = await self._queue.get()
            if item is None or self._closing:
                return
            request, keep_alive = item
            try:
                response = await self._handler(request)
            except Exception:
                log.exception("handler failed on %s %s", request.method, request.path)
                response = Response(
                    500,
                    [("Content-Type", "application/json")],
                    b'{"message":"Internal server error"}',
                )
            transport = self._transport
            if transport is None or transport.is_closing():
                return
            transport.write(render(response, keep_alive, request.method == "HEAD"))
            if not keep_alive:
                transport.close()
                return

    def _reply_and_close(self, response: Response) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(render(response, keep_alive=False))
            self._transport.close()


async def serve(
    handler: Handler, host: str, port: int, max_body: int = 10 * 1024 * 1024
) -> asyncio.Server:
    """Listen on ``host:port`` (0 picks a free port: read it from ``server.sockets``)."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: HttpProtocol(handler, max_body), host, port, reuse_address=True, backlog=1024
    )
