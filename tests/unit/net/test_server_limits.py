"""The server's limits from outside: an oversized head is refused before more is read, a slow
head times out, an idle keep-alive connection is closed, and none of it stalls other clients."""

from __future__ import annotations

import asyncio
import time

from lamina.net.messages import Request, Response
from lamina.net.server import Limits, serve

from .test_server import echo, read_responses


async def handler(request: Request) -> Response:
    """The echo handler, with /busy taking two seconds."""
    if request.path == "/busy":
        await asyncio.sleep(2)
    return await echo(request)


async def _listen(limits: Limits) -> tuple[asyncio.Server, int]:
    server = await serve(handler, "127.0.0.1", 0, limits=limits)
    return server, int(server.sockets[0].getsockname()[1])


async def _closed(reader: asyncio.StreamReader, within: float) -> bool:
    try:
        return await asyncio.wait_for(reader.read(), within) == b""
    except (TimeoutError, ConnectionError):
        return False


def test_a_head_over_the_limit_is_431_before_the_rest_is_read() -> None:
    """A 20 KB header is answered 431 and the connection closes, though the client never ended its
    head; a head just under the limit is served."""

    async def main() -> None:
        server, port = await _listen(Limits(max_head=10_240))
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000)
        ((status, headers, _),) = await read_responses(reader, 1)
        assert status == b"HTTP/1.1 431 Request Header Fields Too Large"
        assert headers["connection"] == "close"
        writer.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9_000 + b"\r\n\r\n")
        ((status, _, _),) = await read_responses(reader, 1)
        assert status == b"HTTP/1.1 200 OK"
        writer.close()
        server.close()

    asyncio.run(main())


def test_a_trickled_head_times_out_with_408_while_others_are_served() -> None:
    """A client sending its head a byte at a time (slowloris) gets 408 after the header timeout;
    meanwhile another client's requests are answered."""

    async def main() -> None:
        server, port = await _listen(Limits(header_timeout=1.0, idle_timeout=30.0))
        slow_reader, slow = await asyncio.open_connection("127.0.0.1", port)
        slow.write(b"GET / HTTP/1.1\r\n")

        async def trickle() -> None:
            for _ in range(40):
                slow.write(b"X")
                await asyncio.sleep(0.1)

        trickling = asyncio.create_task(trickle())
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(3):
            writer.write(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
            ((status, _, _),) = await read_responses(reader, 1)
            assert status == b"HTTP/1.1 200 OK"
        ((status, _, _),) = await asyncio.wait_for(read_responses(slow_reader, 1), 5)
        assert status == b"HTTP/1.1 408 Request Timeout"
        trickling.cancel()
        slow.close()
        writer.close()
        server.close()

    asyncio.run(main())


def test_an_idle_keep_alive_connection_is_closed_and_a_busy_one_is_not() -> None:
    """After its answer, a keep-alive connection that sends nothing is closed after the idle
    timeout; a connection waiting on a slow handler is not closed for being quiet."""

    async def slow_echo_limits() -> None:
        server, port = await _listen(Limits(header_timeout=5.0, idle_timeout=1.0))
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await read_responses(reader, 1)
        started = time.monotonic()
        assert await _closed(reader, 5)
        assert time.monotonic() - started >= 0.9
        writer.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /busy HTTP/1.1\r\nHost: x\r\n\r\n")
        ((status, _, _),) = await read_responses(reader, 1)
        assert status == b"HTTP/1.1 200 OK"
        writer.close()
        server.close()

    asyncio.run(slow_echo_limits())
