"""The durable queue of asynchronous invocations: one SQLite table under the state directory.

Contract: ``put`` returns once the event is committed (WAL, ``synchronous=NORMAL``), so an event
acknowledged with 202 survives ``kill -9``. An event leaves the table only through ``finish``,
after its outcome is decided; ``finish`` also enqueues the follow-up events that outcome causes
(a record for a destination function) in the same transaction, so a crash between the two can
neither lose the record nor run the event's outcome twice. Events taken by the worker are
excluded by id while they run (in memory): after a crash they are simply due again, which is
Lambda's at-least-once delivery.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from lamina.storage.sqlite import connect

_MIGRATIONS = (
    """
    CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        request_id TEXT NOT NULL,
        function TEXT NOT NULL,
        qualifier TEXT,
        payload BLOB NOT NULL,
        client_context TEXT,
        trace_id TEXT,
        received_at REAL NOT NULL,
        next_at REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        throttles INTEGER NOT NULL DEFAULT 0,
        response BLOB,
        function_error TEXT,
        executed_version TEXT
    );
    CREATE INDEX events_due ON events (next_at);
    """,
)
_COLUMNS = (
    "id, request_id, function, qualifier, payload, client_context, trace_id, received_at, "
    "next_at, attempts, throttles, response, function_error, executed_version"
)


@dataclass(frozen=True, slots=True)
class NewEvent:
    request_id: str
    function: str
    qualifier: str | None
    payload: bytes
    received_at: float
    client_context: str | None = None
    trace_id: str | None = None


@dataclass(frozen=True, slots=True)
class QueuedEvent:
    id: int
    request_id: str
    function: str
    qualifier: str | None
    payload: bytes
    client_context: str | None
    trace_id: str | None
    received_at: float
    next_at: float
    # Invocations that ran (Lambda's approximateInvokeCount) and throttled tries.
    attempts: int = 0
    throttles: int = 0
    # The last attempt's outcome, for the failure record of an event that then ages out.
    response: bytes | None = None
    function_error: str | None = None
    executed_version: str | None = None


class EventQueue:
    def __init__(self, path: Path) -> None:
        self._db = connect(path, _MIGRATIONS)

    def put(self, event: NewEvent) -> int:
        """Commit one event, due at once; returns its id."""
        return self._insert(event)

    def put_many(self, events: Sequence[NewEvent]) -> None:
        """Commit events, due at once, in one transaction (one write of the WAL for all)."""
        if len(events) == 1:
            self._insert(events[0])
            return
        with self._transaction():
            for event in events:
                self._insert(event)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """The block's statements commit together, or none of them does."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def _insert(self, event: NewEvent) -> int:
        cursor = self._db.execute(
            "INSERT INTO events (request_id, function, qualifier, payload, client_context, "
            "trace_id, received_at, next_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                event.request_id,
                event.function,
                event.qualifier,
                event.payload,
                event.client_context,
                event.trace_id,
                event.received_at,
                event.received_at,
            ),
        )
        return int(cursor.lastrowid or 0)

    def due(self, now: float, limit: int, running: Collection[int] = ()) -> list[QueuedEvent]:
        """Up to ``limit`` events due by ``now``, oldest first, leaving out those ``running``."""
        skip = ",".join(str(int(i)) for i in running) or "-1"
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM events WHERE next_at <= ? AND id NOT IN ({skip}) "
            "ORDER BY next_at, id LIMIT ?",
            (now, limit),
        ).fetchall()
        return [QueuedEvent(*row) for row in rows]

    def next_due(self, running: Collection[int] = ()) -> float | None:
        skip = ",".join(str(int(i)) for i in running) or "-1"
        row = self._db.execute(
            f"SELECT MIN(next_at) FROM events WHERE id NOT IN ({skip})"
        ).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def reschedule(self, event: QueuedEvent) -> None:
        """Store the event's new counters, last outcome and ``next_at``."""
        self._db.execute(
            "UPDATE events SET next_at = ?, attempts = ?, throttles = ?, response = ?, "
            "function_error = ?, executed_version = ? WHERE id = ?",
            (
                event.next_at,
                event.attempts,
                event.throttles,
                event.response,
                event.function_error,
                event.executed_version,
                event.id,
            ),
        )

    def finish(self, event_id: int, follow_ups: Sequence[NewEvent] = ()) -> None:
        """Remove a decided event and enqueue what its outcome sends on, atomically."""
        with self._transaction():
            self._db.execute("DELETE FROM events WHERE id = ?", (event_id,))
            for event in follow_ups:
                self._insert(event)

    def drop_function(self, function: str) -> int:
        """Forget the events of a deleted function; returns how many went."""
        cursor = self._db.execute("DELETE FROM events WHERE function = ?", (function,))
        return cursor.rowcount

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    def close(self) -> None:
        self._db.close()
