"""Malformed HTTP thrown at a real server: every answer is a 4xx (or the connection closes), never
a 500 or a hang, and the server goes on serving well-formed requests."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from lamina.net.server import Limits, serve

from .test_server import echo, read_responses

_PIECES = st.sampled_from(
    [
        b"GET ",
        b"POST ",
        b"/",
        b"/a?b=c",
        b" HTTP/1.1",
        b" HTTP/1.0",
        b" HTTP/9.9",
        b"\r\n",
        b"\n",
        b"Host: x",
        b"Content-Length: 5",
        b"Content-Length: -1",
        b"Content-Length: 99999999999",
        b"Transfer-Encoding: chunked",
        b"0\r\n\r\n",
        b"5\r\nhello\r\n",
        b"zz\r\n",
        b": ",
        b"\x00",
        b"\xff\xfe",
        b"X" * 300,
        b"Expect: 100-continue",
        b"Connection: close",
        b" ",
        b"\t",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_PIECES | st.binary(max_size=40), max_size=30))
def test_malformed_requests_get_a_4xx_or_a_close_never_a_500_or_a_hang(parts: list[bytes]) -> None:
    async def main() -> None:
        server = await serve(echo, "127.0.0.1", 0, limits=Limits(max_body=4096, header_timeout=2))
        port = int(server.sockets[0].getsockname()[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"".join(parts))
        writer.write_eof()
        data = await asyncio.wait_for(reader.read(), 5)
        for line in data.split(b"\r\n"):
            if line.startswith(b"HTTP/1.1 "):
                assert not line.startswith(b"HTTP/1.1 5"), data[:200]
        writer.close()
        # The server still answers a well-formed request.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        ((status, _, _),) = await asyncio.wait_for(read_responses(reader, 1), 5)
        assert status == b"HTTP/1.1 200 OK"
        writer.close()
        server.close()
        await server.wait_closed()

    asyncio.run(main())
