"""Streamed bodies both ways at the server's seam: a streamer's sink receives a large body
instead of memory, reading pauses while the sink is behind and resumes when it says so, the
sink is aborted once the handler answered; a streamer's refusal is answered before the body;
small bodies never reach the streamer; a FileResponse is sent from its file with its length,
and the connection stays usable."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

from lamina.net.messages import BodySink, FileResponse, Request, Response
from lamina.net.server import Limits, serve

from .test_server import read_responses

MIB = 1024 * 1024


class Sink:
    """Records what it is given; says it is behind after every megabyte, and resumes reading
    from another thread, as a writer thread does (were resuming broken, the upload would hang)."""

    def __init__(self, resume: Callable[[], None]) -> None:
        self.resume = resume
        self.received = bytearray()
        self.ended = self.aborted = False
        self.pauses = 0

    def write(self, chunk: bytes) -> bool:
        before = len(self.received) // MIB
        self.received += chunk
        if len(self.received) // MIB > before:
            self.pauses += 1
            threading.Thread(target=self.resume).start()
            return True
        return False

    def end(self) -> None:
        self.ended = True

    def abort(self) -> None:
        self.aborted = True


def test_a_large_body_goes_to_the_sink_with_reading_paused_while_it_is_behind() -> None:
    """A 4 MiB PUT goes to the sink, not to ``body``; each time the sink says it is behind the
    server stops reading until the sink resumes it (from another thread), and all bytes arrive
    in order; the handler sees the sink, ended; it is aborted after the answer. A refusal is
    answered at once and closes the connection. A 1 KiB body on
    the same connection is buffered without asking the streamer."""
    sinks: list[Sink] = []
    asked: list[str] = []
    seen: list[tuple[bytes, bool]] = []

    def streamer(
        method: str, path: str, query: str, index: dict[str, str], resume: Callable[[], None]
    ) -> BodySink | Response | None:
        asked.append(path)
        if path == "/refuse":
            return Response(413, [], b"too big")
        sinks.append(Sink(resume))
        return sinks[-1]

    async def handler(request: Request) -> Response:
        stream = request.stream
        seen.append((request.body, isinstance(stream, Sink) and stream.ended))
        return Response(200, [], b"ok")

    async def main() -> None:
        limits = Limits(max_body=MIB // 2, streamer=streamer)
        server = await serve(handler, "127.0.0.1", 0, limits=limits)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        body = bytes(range(256)) * (4 * MIB // 256)
        writer.write(b"PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body))
        writer.write(body)
        ((status, _, answer),) = await read_responses(reader, 1)
        assert (status, answer) == (b"HTTP/1.1 200 OK", b"ok")
        (sink,) = sinks
        assert bytes(sink.received) == body and sink.pauses == 4
        assert sink.aborted
        writer.write(
            b"PUT /small HTTP/1.1\r\nHost: x\r\nContent-Length: 1024\r\n\r\n" + b"s" * 1024
        )
        ((status, _, _),) = await read_responses(reader, 1)
        assert status == b"HTTP/1.1 200 OK"
        assert asked == ["/big"]
        assert seen == [(b"", True), (b"s" * 1024, False)]
        writer.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"PUT /refuse HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (9 * MIB))
        ((status, headers, answer),) = await read_responses(reader, 1)
        assert (status, answer, headers["connection"]) == (
            b"HTTP/1.1 413 Request Entity Too Large",
            b"too big",
            "close",
        )
        writer.close()
        server.close()

    asyncio.run(main())


def test_a_file_response_is_sent_from_its_file(tmp_path: Path) -> None:
    """A FileResponse sends ``length`` bytes of its file from ``offset`` with that
    Content-Length (3 MiB: several reads), and the connection then serves the next request."""
    data = bytes(range(256)) * (4 * MIB // 256)
    (tmp_path / "object").write_bytes(data)

    async def handler(request: Request) -> Response:
        if request.path == "/file":
            return FileResponse(200, [("ETag", '"x"')], str(tmp_path / "object"), 7, 3 * MIB)
        return Response(200, [], b"next")

    async def main() -> None:
        server = await serve(handler, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /file HTTP/1.1\r\nHost: x\r\n\r\nGET /n HTTP/1.1\r\nHost: x\r\n\r\n")
        (status, headers, body), (_, _, after) = await read_responses(reader, 2)
        assert status == b"HTTP/1.1 200 OK" and headers["etag"] == '"x"'
        assert body == data[7 : 7 + 3 * MIB]
        assert after == b"next"
        writer.close()
        server.close()

    asyncio.run(main())
