"""Streamed responses (server-sent events) over a real socket on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from lamina.net.messages import Request, Response, StreamingResponse
from lamina.net.server import Limits, serve


def test_chunks_are_written_as_they_come_then_the_connection_closes() -> None:
    """The head goes out without a Content-Length, each chunk as soon as it is yielded (the
    client reads the first before the second exists), and the connection closes at the end."""

    async def scenario() -> tuple[bytes, bytes, bytes]:
        second = asyncio.Event()

        async def chunks() -> AsyncGenerator[bytes, None]:
            yield b"data: one\n\n"
            await second.wait()
            yield b"data: two\n\n"

        async def handler(request: Request) -> Response:
            return StreamingResponse(200, [("Content-Type", "text/event-stream")], chunks())

        server = await serve(handler, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        first = await reader.readuntil(b"\n\n")
        second.set()
        rest = await asyncio.wait_for(reader.read(), 5)  # returns at EOF: the server closed
        writer.close()
        server.close()
        await server.wait_closed()
        return head, first, rest

    head, first, rest = asyncio.run(scenario())
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Content-Type: text/event-stream\r\n" in head
    assert b"Content-Length" not in head and b"Connection: close" in head
    assert first == b"data: one\n\n"
    assert rest == b"data: two\n\n"


def test_a_client_that_leaves_closes_the_stream_and_idle_sweeps_spare_it() -> None:
    """A stream outlives the idle timeout (it is in flight), and when its client goes away
    the server closes the generator at its next chunk (its ``finally`` runs)."""

    async def scenario() -> bool:
        closed = asyncio.Event()
        tick = asyncio.Event()

        async def chunks() -> AsyncGenerator[bytes, None]:
            try:
                while True:
                    yield b": ping\n\n"
                    await tick.wait()
                    tick.clear()
            finally:
                closed.set()

        async def handler(request: Request) -> Response:
            return StreamingResponse(200, [], chunks())

        limits = Limits(idle_timeout=0.2, header_timeout=0.8)
        server = await serve(handler, "127.0.0.1", 0, limits=limits)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await reader.readuntil(b": ping\n\n")
        # Past the idle timeout (the sweep runs every 50 ms here), still open.
        for _ in range(3):
            await asyncio.sleep(0.2)
            tick.set()
            await reader.readuntil(b": ping\n\n")
        writer.close()
        await writer.wait_closed()
        for _ in range(100):
            tick.set()
            if closed.is_set():
                break
            await asyncio.sleep(0.02)
        server.close()
        await server.wait_closed()
        return closed.is_set()

    assert asyncio.run(scenario())
