"""Console log lines are gathered and written in one go, a few milliseconds after the first."""

from __future__ import annotations

import asyncio
import io

from lamina.cli.lines import Lines


class _Stream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def test_lines_of_a_burst_are_written_once_in_order() -> None:
    async def scenario() -> tuple[_Stream, str]:
        stream = _Stream()
        lines = Lines(stream)
        for i in range(100):
            lines(f"line {i}")
        before = stream.getvalue()
        await asyncio.sleep(Lines.DELAY_S * 3)
        return stream, before

    stream, before = asyncio.run(scenario())
    assert before == ""  # nothing written while the burst goes on
    assert stream.writes == 1
    assert stream.getvalue() == "".join(f"line {i}\n" for i in range(100))


def test_flush_writes_what_is_pending_at_once() -> None:
    async def scenario() -> str:
        stream = _Stream()
        lines = Lines(stream)
        lines("last words\n")
        lines.flush()
        return stream.getvalue()

    assert asyncio.run(scenario()) == "last words\n"
