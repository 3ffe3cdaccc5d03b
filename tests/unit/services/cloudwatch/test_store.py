"""CloudWatch's SQLite store: datapoints by metric and time, units, recently active metrics,
and the retention bound."""

from __future__ import annotations

from pathlib import Path

from lamina.services.cloudwatch.store import RETENTION_S, Datum, MetricStore

DIMS = (("Shop", "north"),)


def datum(at: float, value: float, unit: str = "Count", name: str = "Sold") -> Datum:
    return Datum("App", name, DIMS, at, unit, 1, value, value, value, (value,))


def test_points_are_found_by_metric_window_and_unit(tmp_path: Path) -> None:
    """A metric's points within [start, end), optionally of one unit, with their samples."""
    store = MetricStore(tmp_path / "cw.sqlite3")
    store.put([datum(100, 1), datum(200, 2, "Seconds"), datum(300, 3)], now=300)
    points, unit = store.points("App", "Sold", DIMS, 100, 300)
    assert [p.total for p in points] == [1, 2] and unit == "Count"
    counted, _ = store.points("App", "Sold", DIMS, 0, 1000, unit="Count")
    assert [p.samples for p in counted] == [[1.0], [3.0]]
    assert store.points("App", "Sold", (), 0, 1000)[0] == []  # other dimensions: another metric


def test_recently_active_and_retention(tmp_path: Path) -> None:
    """RecentlyActive lists metrics put since a time; expire drops data and metrics older than
    the retention bound."""
    store = MetricStore(tmp_path / "cw.sqlite3")
    store.put([datum(10, 1, name="Old")], now=10)
    store.put([datum(5_000, 1, name="New")], now=5_000)
    assert [m[1] for m in store.metrics(since=1_000)] == ["New"]
    assert [m[1] for m in store.metrics()] == ["New", "Old"]
    store.expire(now=10 + RETENTION_S + 1)
    assert [m[1] for m in store.metrics()] == ["New"]
    assert store.points("App", "Old", DIMS, 0, 1e12)[0] == []
