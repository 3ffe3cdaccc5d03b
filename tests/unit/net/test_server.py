"""The HTTP/1.1 server under the gateway, over real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from lamina.net.messages import Request, Response
from lamina.net.server import serve


async def echo(request: Request) -> Response:
    """Answers with what arrived; /slow waits a little, /boom raises."""
    if request.path == "/boom":
        raise RuntimeError("handler bug")
    if request.path == "/slow":
        await asyncio.sleep(0.05)
    digest = hashlib.sha256(request.body).hexdigest()
    body = f"{request.method} {request.path}?{request.query} {len(request.body)} {digest}"
    return Response(
        200, [("Content-Type", "text/plain"), ("X-Version", request.http_version)], body.encode()
    )


Talk = Callable[[bytes], Awaitable[bytes]]


async def _server(max_body: int = 1024 * 1024) -> AsyncIterator[tuple[int, asyncio.Server]]:
    server = await serve(echo, "127.0.0.1", 0, max_body=max_body)
    try:
        yield int(server.sockets[0].getsockname()[1]), server
    finally:
        server.close()
        await server.wait_closed()


async def read_responses(
    reader: asyncio.StreamReader, count: int
) -> list[tuple[bytes, dict[str, str], bytes]]:
    out = []
    for _ in range(count):
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines[1:] if line)}
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        out.append((lines[0].encode(), headers, body))
    return out


def run(test: Callable[[int], Awaitable[None]], max_body: int = 1024 * 1024) -> None:
    async def main() -> None:
        async for port, _ in _server(max_body):
            await test(port)

    asyncio.run(main())


def test_keep_alive_and_pipelining_in_order() -> None:
    """Three pipelined requests on one connection are answered in order, the slow one first,
    and the connection stays open (Connection: keep-alive)."""

    async def test(port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /b?q=1 HTTP/1.1\r\nHost: x\r\n\r\nPOST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
        )
        replies = await read_responses(reader, 3)
        assert [r[2].split(b" ")[1] for r in replies] == [b"/slow?", b"/b?q=1", b"/c?"]
        assert all(r[1]["connection"] == "keep-alive" for r in replies)
        writer.write(b"GET /again HTTP/1.1\r\nHost: x\r\n\r\n")
        (again,) = await read_responses(reader, 1)
        assert again[0] == b"HTTP/1.1 200 OK"
        writer.close()

    run(test)


def test_http_1_0_answered_in_1_1_then_closed() -> None:
    """An HTTP/1.0 request gets an HTTP/1.1 answer and, without keep-alive, a close."""

    async def test(port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /old HTTP/1.0\r\n\r\n")
        ((status, headers, _),) = await read_responses(reader, 1)
        assert status == b"HTTP/1.1 200 OK"
        assert headers["connection"] == "close" and headers["x-version"] == "1.0"
        assert await reader.read() == b""
        writer.close()

    run(test)


def test_expect_100_continue() -> None:
    """The client is told to continue once the headers are read, then answered."""

    async def test(port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
        )
        assert await reader.readuntil(b"\r\n\r\n") == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(b"hello")
        ((status, _, body),) = await read_responses(reader, 1)
        assert status == b"HTTP/1.1 200 OK" and body.startswith(b"POST /up? 5 ")
        writer.close()

    run(test)


@pytest.mark.parametrize("expect", [False, True])
def test_body_over_the_limit_is_413_and_closes(expect: bool) -> None:
    """A declared length over max_body is refused with 413 (at once when the client waits for
    100-continue) and the connection closes."""

    async def test(port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        extra = b"Expect: 100-continue\r\n" if expect else b""
        writer.write(b"POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n" + extra + b"\r\n")
        if not expect:
            writer.write(b"x" * 2000)
        ((status, headers, _),) = await read_responses(reader, 1)
        assert status == b"HTTP/1.1 413 Request Entity Too Large"
        assert headers["connection"] == "close"
        writer.close()

    run(test, max_body=1000)


def test_chunked_body_over_the_limit_is_413() -> None:
    """A chunked body that grows past max_body is refused too."""

    async def test(port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        chunk = b"%x\r\n%s\r\n" % (800, b"y" * 800)
        writer.write(
            b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + chunk * 2
            + b"0\r\n\r\n"
        )
        ((status, _, _),) = await read_responses(reader, 1)
        assert status.startswith(b"HTTP/1.1 413")
        writer.close()

    run(test, max_body=1000)


def test_large_bodies_arrive_intact() -> None:
    """An 8 MB body, sent in pieces, reaches the handler byte for byte."""
    payload = bytes(range(256)) * (8 * 4096)

    async def test(port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"PUT /large HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(payload))
        for i in range(0, len(payload), 100_000):
            writer.write(payload[i : i + 100_000])
            await writer.drain()
        ((_, _, body),) = await read_responses(reader, 1)
        assert body == f"PUT /large? {len(payload)} {hashlib.sha256(payload).hexdigest()}".encode()
        writer.close()

    run(test, max_body=10 * 1024 * 1024)


def test_handler_errors_are_500_and_head_has_no_body() -> None:
    """A raising handler yields 500 and the server keeps serving; HEAD gets headers only."""

    async def test(port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /boom HTTP/1.1\r\nHost: x\r\n\r\n")
        ((status, _, _),) = await read_responses(reader, 1)
        assert status == b"HTTP/1.1 500 Internal Server Error"
        writer.write(b"HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        assert b"Content-Length: " in head
        ((status, _, body),) = await read_responses(reader, 1)
        assert body.startswith(b"GET /after")
        writer.close()

    run(test)


def test_bad_request_is_400() -> None:
    """Bytes that are not HTTP get 400 and a close."""

    async def test(port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"NOT HTTP AT ALL\r\n\r\n")
        ((status, _, _),) = await read_responses(reader, 1)
        assert status == b"HTTP/1.1 400 Bad Request"
        writer.close()

    run(test)


def test_arrival_time_and_date_header_are_on_the_wall_clock() -> None:
    """A request's ``received_at`` (what events' ``requestTimeEpoch`` and ``time`` come from)
    and the answer's ``Date`` are epoch time, though the server reads only its loop's
    monotonic clock per request: off by at most a second either way from ``time.time()``."""
    seen: list[float] = []

    async def stamp(request: Request) -> Response:
        seen.append(request.received_at)
        return Response(200, [], b"ok")

    async def main() -> None:
        server = await serve(stamp, "127.0.0.1", 0)
        try:
            port = int(server.sockets[0].getsockname()[1])
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            before = time.time()
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            [(_, headers, _)] = await read_responses(reader, 1)
            after = time.time()
            writer.close()
        finally:
            server.close()
            await server.wait_closed()
        assert before - 1 <= seen[0] <= after + 1
        date = email.utils.parsedate_to_datetime(headers["date"]).timestamp()
        assert before - 1 <= date <= after + 1

    asyncio.run(main())


def test_head_answer_keeps_the_length_it_declares() -> None:
    """A HEAD answer with no body may state the length its GET would have (S3's HeadObject):
    the client reads that Content-Length and no body, and the connection keeps working."""

    async def sized(request: Request) -> Response:
        if request.method == "HEAD":
            return Response(200, [("Content-Length", "12345")], b"")
        return Response(200, [], b"body")

    async def main() -> None:
        server = await serve(sized, "127.0.0.1", 0)
        port = int(server.sockets[0].getsockname()[1])
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"HEAD /o HTTP/1.1\r\nHost: x\r\n\r\nGET /o HTTP/1.1\r\nHost: x\r\n\r\n")
            head = await reader.readuntil(b"\r\n\r\n")
            assert b"Content-Length: 12345\r\n" in head
            ((status, _, body),) = await read_responses(reader, 1)
            assert (status, body) == (b"HTTP/1.1 200 OK", b"body")
            writer.close()
        finally:
            server.close()
            await server.wait_closed()

    asyncio.run(main())
