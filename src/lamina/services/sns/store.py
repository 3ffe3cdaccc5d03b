"""Topics, subscriptions and the outbox of pending deliveries in one SQLite database (WAL).

``outbox`` is what makes a Publish durable: the message, once per subscription whose filter
accepted it, is committed there before Publish answers, and a row leaves only when its delivery
succeeded or was dead-lettered (or its subscription is gone). After ``kill -9`` the courier
finds the rows again and delivers them: at least once, as SNS promises. ``dedup`` remembers a
FIFO topic's deduplication ids for five minutes; ``sequences`` numbers a FIFO topic's messages.
A FIFO message's row carries its ``fifo_key`` (subscription and message group): ``due`` offers
a row only once every earlier row of its key has left, so a group reaches each subscriber in
order, one message at a time, even across retries.

Every method is one transaction, serialised by a lock: handlers call it from worker threads.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lamina import fastjson
from lamina.services.sns.models import Subscription, Topic
from lamina.storage.sqlite import connect

_MIGRATIONS = [
    """
    CREATE TABLE topics (
        arn TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        attributes TEXT NOT NULL,
        tags TEXT NOT NULL
    );
    CREATE TABLE subscriptions (
        arn TEXT PRIMARY KEY,
        topic_arn TEXT NOT NULL,
        protocol TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        owner TEXT NOT NULL,
        attributes TEXT NOT NULL,
        confirmed INTEGER NOT NULL,
        token TEXT
    );
    CREATE INDEX subscriptions_by_topic ON subscriptions(topic_arn, arn);
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        subscription_arn TEXT NOT NULL,
        notification TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        due REAL NOT NULL,
        fifo_key TEXT
    );
    CREATE INDEX outbox_by_due ON outbox(due, id);
    CREATE INDEX outbox_by_fifo_key ON outbox(fifo_key, id);
    CREATE TABLE dedup (
        topic_arn TEXT NOT NULL,
        dedup_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        sequence TEXT,
        expires REAL NOT NULL,
        PRIMARY KEY (topic_arn, dedup_id)
    );
    CREATE TABLE sequences (topic_arn TEXT PRIMARY KEY, last INTEGER NOT NULL);
    """
]
DEDUP_WINDOW_S = 300.0


@dataclass(frozen=True, slots=True)
class Pending:
    """One delivery waiting in the outbox."""

    id: int
    subscription_arn: str
    notification: dict[str, Any]
    attempts: int


@dataclass(frozen=True, slots=True)
class Published:
    message_id: str
    sequence: str | None
    duplicate: bool


class Store:
    def __init__(self, path: Path) -> None:
        self._conn = connect(path, _MIGRATIONS)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _write(self, statements: Sequence[tuple[str, tuple[Any, ...]]]) -> None:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for sql, args in statements:
                    self._conn.execute(sql, args)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return list(self._conn.execute(sql, args))

    # -- topics -----------------------------------------------------------------------------

    def put_topic(self, topic: Topic) -> None:
        self._write(
            [
                (
                    "INSERT INTO topics (arn, name, attributes, tags) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(arn) DO UPDATE SET attributes = excluded.attributes, "
                    "tags = excluded.tags",
                    (
                        topic.arn,
                        topic.name,
                        fastjson.dumps_text(topic.attributes),
                        fastjson.dumps_text(topic.tags),
                    ),
                )
            ]
        )

    def topic(self, arn: str) -> Topic | None:
        rows = self._rows("SELECT arn, name, attributes, tags FROM topics WHERE arn = ?", (arn,))
        return _topic(rows[0]) if rows else None

    def topics(self, after: str = "", limit: int = 100) -> list[Topic]:
        rows = self._rows(
            "SELECT arn, name, attributes, tags FROM topics WHERE arn > ? ORDER BY arn LIMIT ?",
            (after, limit),
        )
        return [_topic(row) for row in rows]

    def delete_topic(self, arn: str) -> None:
        self._write(
            [
                (
                    "DELETE FROM outbox WHERE subscription_arn IN "
                    "(SELECT arn FROM subscriptions WHERE topic_arn = ?)",
                    (arn,),
                ),
                ("DELETE FROM subscriptions WHERE topic_arn = ?", (arn,)),
                ("DELETE FROM dedup WHERE topic_arn = ?", (arn,)),
                ("DELETE FROM topics WHERE arn = ?", (arn,)),
            ]
        )

    # -- subscriptions ----------------------------------------------------------------------

    def put_subscription(
        self, sub: Subscription, confirmation: dict[str, Any] | None = None, now: float = 0.0
    ) -> None:
        """Store ``sub``; ``confirmation`` (for an endpoint that must confirm) is queued with
        it, in the same transaction."""
        statements: list[tuple[str, tuple[Any, ...]]] = [
            (
                "INSERT INTO subscriptions (arn, topic_arn, protocol, endpoint, owner, attributes,"
                " confirmed, token) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(arn) DO UPDATE SET "
                "attributes = excluded.attributes, confirmed = excluded.confirmed, "
                "token = excluded.token",
                (
                    sub.arn,
                    sub.topic_arn,
                    sub.protocol,
                    sub.endpoint,
                    sub.owner,
                    fastjson.dumps_text(sub.attributes),
                    int(sub.confirmed),
                    sub.token,
                ),
            )
        ]
        if confirmation is not None:
            statements.append(_enqueue(sub.arn, confirmation, now))
        self._write(statements)

    def subscription(self, arn: str) -> Subscription | None:
        rows = self._rows(f"SELECT {_SUB_COLUMNS} FROM subscriptions WHERE arn = ?", (arn,))
        return _subscription(rows[0]) if rows else None

    def subscriptions(
        self, topic_arn: str | None = None, after: str = "", limit: int = 100
    ) -> list[Subscription]:
        if topic_arn is None:
            rows = self._rows(
                f"SELECT {_SUB_COLUMNS} FROM subscriptions WHERE arn > ? ORDER BY arn LIMIT ?",
                (after, limit),
            )
        else:
            rows = self._rows(
                f"SELECT {_SUB_COLUMNS} FROM subscriptions WHERE topic_arn = ? AND arn > ? "
                "ORDER BY arn LIMIT ?",
                (topic_arn, after, limit),
            )
        return [_subscription(row) for row in rows]

    def delete_subscription(self, arn: str) -> None:
        self._write(
            [
                ("DELETE FROM outbox WHERE subscription_arn = ?", (arn,)),
                ("DELETE FROM subscriptions WHERE arn = ?", (arn,)),
            ]
        )

    # -- publishing and the outbox ----------------------------------------------------------

    def publish(
        self,
        topic_arn: str,
        message_id: str,
        dedup_id: str | None,
        fifo: bool,
        deliveries: Sequence[tuple[str, dict[str, Any]]],
        now: float,
    ) -> Published:
        """Queue ``deliveries`` (subscription ARN, notification) in one transaction; on a FIFO
        topic a deduplication id seen in the last five minutes queues nothing and returns the
        first message's id and sequence number."""
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                sequence = None
                if fifo:
                    conn.execute("DELETE FROM dedup WHERE expires < ?", (now,))
                    if dedup_id is not None:
                        seen = conn.execute(
                            "SELECT message_id, sequence FROM dedup WHERE topic_arn = ? AND "
                            "dedup_id = ?",
                            (topic_arn, dedup_id),
                        ).fetchone()
                        if seen is not None:
                            conn.execute("COMMIT")
                            return Published(seen[0], seen[1], duplicate=True)
                    conn.execute(
                        "INSERT INTO sequences (topic_arn, last) VALUES (?, 1) ON CONFLICT("
                        "topic_arn) DO UPDATE SET last = last + 1",
                        (topic_arn,),
                    )
                    last = conn.execute(
                        "SELECT last FROM sequences WHERE topic_arn = ?", (topic_arn,)
                    ).fetchone()[0]
                    sequence = f"{10_000_000_000_000_000_000 + int(last):020d}"
                    if dedup_id is not None:
                        conn.execute(
                            "INSERT INTO dedup VALUES (?, ?, ?, ?, ?)",
                            (topic_arn, dedup_id, message_id, sequence, now + DEDUP_WINDOW_S),
                        )
                for subscription_arn, notification in deliveries:
                    if sequence is not None:
                        notification["SequenceNumber"] = sequence
                    conn.execute(*_enqueue(subscription_arn, notification, now))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return Published(message_id, sequence, duplicate=False)

    def due(self, now: float, limit: int, busy: set[int]) -> list[Pending]:
        rows = self._rows(
            "SELECT id, subscription_arn, notification, attempts FROM outbox AS o WHERE due <= ? "
            "AND (fifo_key IS NULL OR NOT EXISTS (SELECT 1 FROM outbox AS p WHERE "
            "p.fifo_key = o.fifo_key AND p.id < o.id)) ORDER BY due, id LIMIT ?",
            (now, limit + len(busy)),
        )
        found = [Pending(r[0], r[1], fastjson.loads(r[2]), r[3]) for r in rows if r[0] not in busy]
        return found[:limit]

    def next_due(self) -> float | None:
        rows = self._rows("SELECT MIN(due) FROM outbox")
        return float(rows[0][0]) if rows and rows[0][0] is not None else None

    def done(self, pending_id: int) -> None:
        self._write([("DELETE FROM outbox WHERE id = ?", (pending_id,))])

    def retry(self, pending_id: int, attempts: int, due: float) -> None:
        self._write(
            [("UPDATE outbox SET attempts = ?, due = ? WHERE id = ?", (attempts, due, pending_id))]
        )

    def pending_count(self) -> int:
        return int(self._rows("SELECT COUNT(*) FROM outbox")[0][0])


_SUB_COLUMNS = "arn, topic_arn, protocol, endpoint, owner, attributes, confirmed, token"


def _enqueue(
    subscription_arn: str, notification: dict[str, Any], due: float
) -> tuple[str, tuple[Any, ...]]:
    group = notification.get("MessageGroupId")
    fifo_key = None if group is None else f"{subscription_arn}\n{group}"
    return (
        "INSERT INTO outbox (subscription_arn, notification, due, fifo_key) VALUES (?, ?, ?, ?)",
        (subscription_arn, fastjson.dumps_text(notification), due, fifo_key),
    )


def _topic(row: tuple[Any, ...]) -> Topic:
    return Topic(row[0], row[1], fastjson.loads(row[2]), fastjson.loads(row[3]))


def _subscription(row: tuple[Any, ...]) -> Subscription:
    return Subscription(
        arn=row[0],
        topic_arn=row[1],
        protocol=row[2],
        endpoint=row[3],
        owner=row[4],
        attributes=fastjson.loads(row[5]),
        confirmed=bool(row[6]),
        token=row[7],
    )
