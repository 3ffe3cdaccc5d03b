"""X-Ray's SQLite store (services/xray/store.py) on a real file."""

from __future__ import annotations

from pathlib import Path

from lamina.services.xray.store import Store


def segment(trace: int, index: int) -> dict[str, object]:
    return {
        "trace_id": f"1-5f84c7a0-{trace:024x}",
        "id": f"{index:016x}",
        "name": "s",
        "start_time": 100.0 + trace,
        "end_time": 101.0 + trace,
    }


def test_past_its_cap_the_oldest_segments_go_first(tmp_path: Path) -> None:
    """Lamina records every request's segments: past the cap the store drops the oldest
    segments (by arrival) and keeps the newest, also across a reopen."""
    store = Store(tmp_path / "xray.sqlite3", max_segments=5)
    for trace in range(4):
        store.put([segment(trace, 1), segment(trace, 2)], now=1000.0)
    assert store.recent_ids(10) == [f"1-5f84c7a0-{t:024x}" for t in (3, 2, 1)]
    assert [s["id"] for s in store.segments(f"1-5f84c7a0-{1:024x}")] == [f"{2:016x}"]
    store.close()
    again = Store(tmp_path / "xray.sqlite3", max_segments=5)
    again.put([segment(9, 1)], now=1000.0)
    assert len(again.recent_ids(10)) == 3 and again.segments(f"1-5f84c7a0-{1:024x}") == []
    again.close()
