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


def test_recorded_hops_are_kept_as_facts_and_read_as_documents(tmp_path: Path) -> None:
    """Lamina's own hops are stored as their facts and drawn when read, beside documents a
    client sent for the same trace; a database written before the facts column existed
    opens (migrated) with its documents intact."""
    import sqlite3

    from lamina.observe.tracing import HttpFacts, Recorded, Tracing, documents

    path = tmp_path / "xray.sqlite3"
    old = sqlite3.connect(path)  # the first schema, as an earlier Lamina left it
    old.executescript(
        "CREATE TABLE segments (trace_id TEXT NOT NULL, id TEXT NOT NULL, start REAL NOT NULL,"
        " end REAL, doc TEXT NOT NULL, received REAL NOT NULL, PRIMARY KEY (trace_id, id));"
        "CREATE INDEX segments_by_start ON segments (start); PRAGMA user_version=1;"
    )
    old.close()
    store = Store(path)
    recorded: list[Recorded] = []
    tracing = Tracing([recorded.extend])
    hop, _ = tracing.enter(None, 100.0)
    assert hop is not None
    http = HttpFacts("a1", "prod", True, "GET", "http://h/prod/x", 200, "127.0.0.1", None, 2,
                     "fn", "us-east-1", "123456789012", "r-1")  # fmt: skip
    tracing.gateway(hop, 100.0, 100.001, 100.002, lambda: http)
    tracing.flush()
    sdk = {"trace_id": hop.root, "id": "00000000000000ab", "name": "sdk",
           "start_time": 100.0015, "end_time": 100.0018, "parent_id": hop.onward}  # fmt: skip
    store.put_recorded(recorded, now=1000.0)
    store.put([sdk], now=1000.0)
    read = store.segments(hop.root)
    assert read == sorted([*documents(recorded), sdk], key=lambda s: s["start_time"])
    assert (
        read[0]["origin"] == "AWS::ApiGateway::Stage"
        and read[0]["http"]["request"]["url"] == "http://h/prod/x"
    )
    assert store.recent_ids(5) == [hop.root]
    store.close()
