"""An environment's output becomes log events line by line; long lines are split at
CloudWatch's event quota; only a bounded tail is kept."""

from __future__ import annotations

from collections.abc import Sequence

from lamina.engine.logoutlet import TAIL_BYTES, LogOutlet
from lamina.observe.api import MAX_EVENT_BYTES, LogEvent


class Sink:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []

    def put(self, group: str, stream: str, events: Sequence[LogEvent]) -> None:
        self.events += [(group, stream, e.message) for e in events]

    def close(self) -> None:
        pass


def test_lines_leave_when_complete_and_in_order() -> None:
    sink = Sink()
    outlet = LogOutlet(sink, "/aws/lambda/f", "s", lambda: 5)
    outlet.platform("START RequestId: r\n")
    outlet.feed(b"one\ntw")
    assert [m for _, _, m in sink.events] == ["START RequestId: r", "one"]
    outlet.feed(b"o\nthree")
    outlet.platform("END RequestId: r\nREPORT RequestId: r\n")
    assert [m for _, _, m in sink.events] == [
        "START RequestId: r", "one", "two", "three", "END RequestId: r", "REPORT RequestId: r"
    ]  # fmt: skip
    assert {(g, s) for g, s, _ in sink.events} == {("/aws/lambda/f", "s")}


def test_long_lines_are_split_and_the_tail_is_bounded() -> None:
    sink = Sink()
    outlet = LogOutlet(sink, "g", "s", lambda: 0)
    for _ in range(10):
        outlet.feed(b"x" * 100_000)
    outlet.feed(b"\n")
    outlet.finish_line()
    sizes = [len(m) for _, _, m in sink.events]
    assert sum(sizes) == 1_000_000 and max(sizes) <= MAX_EVENT_BYTES
    tail = outlet.take_tail()
    assert TAIL_BYTES <= len(tail) <= 2 * TAIL_BYTES
    assert outlet.take_tail() == ""
