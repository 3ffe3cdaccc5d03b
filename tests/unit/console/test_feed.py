"""The console's feed: invocations read from Lambda's platform lines, and the live stream."""

from __future__ import annotations

import asyncio

from lamina import fastjson
from lamina.console.feed import BACKLOG, Feed
from lamina.observe.api import LogEvent

GROUP = "/aws/lambda/app-Fn-1"
STREAM = "2026/12/04/[$LATEST]abc"


def _invoke(feed: Feed, request_id: str, report_tail: str = "") -> None:
    feed.put(
        GROUP,
        STREAM,
        [
            LogEvent(1, f"START RequestId: {request_id} Version: $LATEST"),
            LogEvent(2, "hello <b>"),
            LogEvent(3, f"END RequestId: {request_id}"),
            LogEvent(
                4,
                f"REPORT RequestId: {request_id}\tDuration: 12.50 ms\tBilled Duration: 13 ms\t"
                f"Memory Size: 128 MB\tMax Memory Used: 50 MB\t{report_tail}",
            ),
        ],
    )


def test_text_platform_lines_make_invocations_with_duration_and_status() -> None:
    """START and REPORT lines (text format) give each invocation its duration and status,
    Lambda's ``Status``/``Error Type`` fields included; the newest is listed first."""
    feed = Feed()
    _invoke(feed, "r1")
    _invoke(feed, "r2", "Status: error\tError Type: ValueError\t")
    first, second = feed.recent("app-Fn-1")[1], feed.recent("app-Fn-1")[0]
    assert (first.request_id, first.duration_ms, first.status) == ("r1", 12.5, "success")
    assert (second.request_id, second.status, second.error_type) == ("r2", "error", "ValueError")
    assert first.stream == STREAM
    assert feed.find("app-Fn-1", "r2") is second


def test_json_platform_lines_make_invocations() -> None:
    """Functions logging in Lambda's JSON format are tracked from platform.start/report."""
    feed = Feed()
    start = {"time": "t", "type": "platform.start", "record": {"requestId": "j1"}}
    report = {
        "time": "t",
        "type": "platform.report",
        "record": {"requestId": "j1", "metrics": {"durationMs": 3.25}, "status": "timeout"},
    }
    feed.put(GROUP, STREAM, [LogEvent(1, fastjson.dumps_text(start))])
    assert feed.recent("app-Fn-1")[0].status == "running"
    feed.put(GROUP, STREAM, [LogEvent(2, fastjson.dumps_text(report))])
    invocation = feed.recent("app-Fn-1")[0]
    assert (invocation.duration_ms, invocation.status) == (3.25, "timeout")


def test_subscribers_get_new_events_and_resume_after_the_last_id() -> None:
    """A subscriber gets each event put after it subscribed as a server-sent event with an id;
    one resuming with ``Last-Event-ID`` gets what it missed; ``close`` ends the stream."""

    async def scenario() -> tuple[bytes, bytes]:
        feed = Feed()
        stream = feed.subscribe()
        assert await anext(stream) == b"retry: 500\n\n"
        waiting = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(0)
        _invoke(feed, "r1")
        first = await waiting
        resumed = feed.subscribe(after=1)
        await anext(resumed)
        missed = await anext(resumed)
        feed.close()
        assert [chunk async for chunk in stream] == []
        await resumed.aclose()
        return first, missed

    first, missed = asyncio.run(scenario())
    assert first.startswith(b"id: 1\nevent: invocation\ndata: ")
    assert b'"status":"running"' in first
    assert b"event: log" in first and b"hello <b>" in first
    assert b"id: 1\n" not in missed and missed.startswith(b"id: 2\n")


def test_a_subscriber_too_far_behind_is_told_of_the_gap() -> None:
    """Past the backlog, a resuming subscriber is told events were lost (the page then reloads
    its state) instead of the feed holding unbounded history."""

    async def scenario() -> bytes:
        feed = Feed()
        keep = feed.subscribe()
        await anext(keep)  # someone watches: log lines are kept
        for n in range(BACKLOG):
            _invoke(feed, f"r{n}")
        late = feed.subscribe(after=1)
        await anext(late)
        chunk = await anext(late)
        await late.aclose()
        await keep.aclose()
        return chunk

    assert asyncio.run(scenario()) == b"event: gap\ndata: {}\n\n"


def test_the_live_tail_carries_a_bounded_part_of_a_flood() -> None:
    """A function writing thousands of long lines at once reaches the live tail cut to a bounded
    size, saying how much more there is (the whole log stays in the store)."""

    async def scenario() -> bytes:
        feed = Feed()
        stream = feed.subscribe()
        await anext(stream)
        feed.put(GROUP, STREAM, [LogEvent(n, "x" * 100_000) for n in range(5000)])
        chunk = await anext(stream)
        await stream.aclose()
        return chunk

    chunk = asyncio.run(scenario())
    assert len(chunk) < 300_000
    assert b"[4900 more lines: open the invocation's log]" in chunk
    assert b"[... 97952 more characters]" in chunk


def test_what_happens_unwatched_is_tracked_and_a_resuming_browser_is_told_of_the_gap() -> None:
    """With no browser watching nothing is kept for the stream, but invocations are still
    listed; a browser resuming from an earlier event id gets a gap (and reloads its state)."""

    async def scenario() -> tuple[bytes, int]:
        feed = Feed()
        feed._watched_until = 0.0  # nobody has watched yet
        _invoke(feed, "r1")
        _invoke(feed, "r2")
        resumed = feed.subscribe(after=1)
        await anext(resumed)
        chunk = await anext(resumed)
        await resumed.aclose()
        return chunk, len(feed.recent("app-Fn-1"))

    chunk, listed = asyncio.run(scenario())
    assert chunk == b"event: gap\ndata: {}\n\n"
    assert listed == 2


def test_lines_put_unwatched_are_read_in_order_when_asked_and_stay_bounded() -> None:
    """Unwatched, a put's platform lines are kept unread (bounded per function) and read when
    the console asks: an invocation whose START and REPORT came in separate puts is listed
    with its duration, only the last RECENT are kept, and lines put once a browser watches
    are read after the earlier ones (the newest invocation stays first)."""
    from lamina.console.feed import RECENT

    feed = Feed()
    for n in range(RECENT + 30):
        feed.put(GROUP, STREAM, [LogEvent(1, f"START RequestId: u{n} Version: $LATEST")])
        feed.put(GROUP, STREAM, [LogEvent(2, "a line of the function's own")])
        feed.put(GROUP, STREAM, [LogEvent(3, f"REPORT RequestId: u{n}\tDuration: 1.00 ms\t")])
    feed._watched_until = float("inf")  # a browser watches from now on
    _invoke(feed, "w1")
    listed = feed.recent("app-Fn-1")
    assert len(listed) == RECENT
    assert listed[0].request_id == "w1"
    assert listed[1].request_id == f"u{RECENT + 29}"
    assert all(i.status == "success" and i.duration_ms is not None for i in listed[1:])
