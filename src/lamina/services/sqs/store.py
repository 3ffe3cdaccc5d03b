"""SQS's SQLite database (``sqs.sqlite3`` in the state directory, WAL): queues and messages.

Every method that changes something commits before it returns, so what SQS acknowledged
survives ``kill -9``. A message row is the whole of its state: ``visible_at`` is when it may be
received next (its delay, or the end of its visibility timeout), ``receive_count`` how often it
was received, ``receipt`` the token of its latest receipt handle. Nothing about a message lives
only in memory, so a message received but not deleted before a crash is received again once its
visibility timeout ends, after the restart as before it.

The connection is used from the event loop only (the service runs its operations there).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lamina import fastjson
from lamina.storage.sqlite import connect

DATABASE = "sqs.sqlite3"
_MIGRATIONS = (
    """
    CREATE TABLE queues (
        name TEXT PRIMARY KEY,
        created REAL NOT NULL,
        modified REAL NOT NULL,
        attributes TEXT NOT NULL,
        tags TEXT NOT NULL,
        deployed TEXT
    );
    CREATE TABLE messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        queue TEXT NOT NULL,
        message_id TEXT NOT NULL,
        body TEXT NOT NULL,
        attributes TEXT NOT NULL,
        system TEXT NOT NULL,
        group_id TEXT,
        sent REAL NOT NULL,
        visible_at REAL NOT NULL,
        receive_count INTEGER NOT NULL DEFAULT 0,
        first_receive REAL,
        receipt TEXT
    );
    CREATE INDEX messages_order ON messages (queue, seq);
    CREATE INDEX messages_visible ON messages (queue, visible_at, seq);
    CREATE TABLE dedup (
        queue TEXT NOT NULL,
        key TEXT NOT NULL,
        expires REAL NOT NULL,
        message_id TEXT NOT NULL,
        sequence TEXT NOT NULL,
        PRIMARY KEY (queue, key)
    );
    CREATE TABLE move_tasks (
        handle TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        destination TEXT,
        rate INTEGER,
        status TEXT NOT NULL,
        started REAL NOT NULL,
        moved INTEGER NOT NULL DEFAULT 0,
        to_move INTEGER NOT NULL DEFAULT 0,
        failure TEXT,
        -- the messages to move: those of the source up to this seq, past ``done``
        upto INTEGER NOT NULL DEFAULT 0,
        done INTEGER NOT NULL DEFAULT 0
    );
    """,
)


@dataclass(slots=True)
class StoredMessage:
    seq: int
    queue: str
    message_id: str
    body: str
    # Message attributes in their API form (binary values base64).
    attributes: dict[str, dict[str, Any]]
    # What SQS records about the message: SenderId, SentTimestamp, AWSTraceHeader,
    # MessageGroupId, MessageDeduplicationId, SequenceNumber, DeadLetterQueueSourceArn.
    system: dict[str, str]
    group_id: str | None
    sent: float
    visible_at: float
    receive_count: int
    first_receive: float | None
    receipt: str | None


_COLUMNS = (
    "seq, queue, message_id, body, attributes, system, group_id, sent, visible_at, "
    "receive_count, first_receive, receipt"
)


def _message(row: tuple[Any, ...]) -> StoredMessage:
    return StoredMessage(
        seq=row[0],
        queue=row[1],
        message_id=row[2],
        body=row[3],
        attributes=fastjson.loads(row[4]),
        system=fastjson.loads(row[5]),
        group_id=row[6],
        sent=row[7],
        visible_at=row[8],
        receive_count=row[9],
        first_receive=row[10],
        receipt=row[11],
    )


@dataclass(slots=True)
class QueueRow:
    name: str
    created: float
    modified: float
    attributes: dict[str, str]
    tags: dict[str, str]
    deployed: dict[str, Any] | None


class Store:
    def __init__(self, path: Path) -> None:
        self.conn = connect(path, _MIGRATIONS)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()

    # -- queues ----------------------------------------------------------------------------

    def queues(self) -> list[QueueRow]:
        rows = self.conn.execute(
            "SELECT name, created, modified, attributes, tags, deployed FROM queues"
        ).fetchall()
        return [
            QueueRow(r[0], r[1], r[2], fastjson.loads(r[3]), fastjson.loads(r[4]), _maybe(r[5]))
            for r in rows
        ]

    def save_queue(self, row: QueueRow) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO queues (name, created, modified, attributes, tags, deployed)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                row.name,
                row.created,
                row.modified,
                fastjson.dumps_text(row.attributes),
                fastjson.dumps_text(row.tags),
                None if row.deployed is None else fastjson.dumps_text(row.deployed),
            ),
        )

    def delete_queue(self, name: str) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM queues WHERE name = ?", (name,))
            conn.execute("DELETE FROM messages WHERE queue = ?", (name,))
            conn.execute("DELETE FROM dedup WHERE queue = ?", (name,))

    # -- messages --------------------------------------------------------------------------

    def insert(
        self,
        queue: str,
        message_id: str,
        body: str,
        attributes: dict[str, Any],
        system: dict[str, str],
        group_id: str | None,
        sent: float,
        visible_at: float,
    ) -> int:
        cursor = self.conn.execute(
            "INSERT INTO messages (queue, message_id, body, attributes, system, group_id, sent,"
            " visible_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                queue,
                message_id,
                body,
                fastjson.dumps_text(attributes),
                fastjson.dumps_text(system),
                group_id,
                sent,
                visible_at,
            ),
        )
        return int(cursor.lastrowid or 0)

    def set_system(self, seq: int, system: dict[str, str]) -> None:
        self.conn.execute(
            "UPDATE messages SET system = ? WHERE seq = ?", (fastjson.dumps_text(system), seq)
        )

    def ready(
        self, queue: str, now: float, oldest: float, limit: int, *, in_order: bool
    ) -> list[StoredMessage]:
        """Up to ``limit`` messages receivable at ``now`` (none older than ``oldest``: past
        their retention). ``in_order`` (FIFO): in send order, a scan that skips what is hidden.
        Otherwise (standard queues promise no order) in the order they became visible, a seek
        whatever the number of messages in flight: a new message after the ones already
        waiting, one whose visibility timeout ended when it ended."""
        if in_order:
            sql = (
                f"SELECT {_COLUMNS} FROM messages INDEXED BY messages_order WHERE queue = ?"
                " AND visible_at <= ? AND sent >= ? ORDER BY seq LIMIT ?"
            )
        else:
            sql = (
                f"SELECT {_COLUMNS} FROM messages INDEXED BY messages_visible WHERE queue = ?"
                " AND visible_at <= ? AND sent >= ? ORDER BY visible_at, seq LIMIT ?"
            )
        rows = self.conn.execute(sql, (queue, now, oldest, limit)).fetchall()
        return [_message(r) for r in rows]

    def peek(self, queue: str, limit: int) -> list[StoredMessage]:
        """The queue's oldest ``limit`` messages, whatever their visibility, changing nothing
        (the console shows them; a receive would hide them from consumers)."""
        rows = self.conn.execute(
            f"SELECT {_COLUMNS} FROM messages WHERE queue = ? ORDER BY seq LIMIT ?",
            (queue, limit),
        ).fetchall()
        return [_message(r) for r in rows]

    def busy_groups(self, queue: str, now: float) -> set[str]:
        """FIFO: the message groups with a message in flight (received, not yet visible)."""
        rows = self.conn.execute(
            "SELECT DISTINCT group_id FROM messages WHERE queue = ? AND visible_at > ?"
            " AND receive_count > 0",
            (queue, now),
        ).fetchall()
        return {r[0] for r in rows}

    def get(self, seq: int) -> StoredMessage | None:
        row = self.conn.execute(f"SELECT {_COLUMNS} FROM messages WHERE seq = ?", (seq,)).fetchone()
        return None if row is None else _message(row)

    def mark_received(
        self, seq: int, count: int, first: float, visible_at: float, receipt: str
    ) -> None:
        self.conn.execute(
            "UPDATE messages SET receive_count = ?, first_receive = ?, visible_at = ?,"
            " receipt = ? WHERE seq = ?",
            (count, first, visible_at, receipt, seq),
        )

    def set_visible_at(self, seq: int, visible_at: float) -> None:
        self.conn.execute("UPDATE messages SET visible_at = ? WHERE seq = ?", (visible_at, seq))

    def move(self, seq: int, queue: str, visible_at: float, system: dict[str, str]) -> None:
        """To another queue (a dead-letter queue, or back by a move task), received anew."""
        self.conn.execute(
            "UPDATE messages SET queue = ?, visible_at = ?, receive_count = 0,"
            " first_receive = NULL, receipt = NULL, system = ? WHERE seq = ?",
            (queue, visible_at, fastjson.dumps_text(system), seq),
        )

    def delete(self, seq: int) -> bool:
        return self.conn.execute("DELETE FROM messages WHERE seq = ?", (seq,)).rowcount > 0

    def purge(self, queue: str) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM messages WHERE queue = ?", (queue,))

    def oldest(
        self, queue: str, limit: int, *, after: int = 0, upto: int | None = None
    ) -> list[StoredMessage]:
        """Messages of ``queue`` in send order, visible or not, with ``after < seq <= upto``."""
        rows = self.conn.execute(
            f"SELECT {_COLUMNS} FROM messages INDEXED BY messages_order WHERE queue = ?"
            " AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
            (queue, after, upto if upto is not None else 2**62, limit),
        ).fetchall()
        return [_message(r) for r in rows]

    def next_visible(self, queue: str, now: float) -> float | None:
        """When the next message not receivable at ``now`` becomes so (None: there is none)."""
        row = self.conn.execute(
            "SELECT MIN(visible_at) FROM messages WHERE queue = ? AND visible_at > ?",
            (queue, now),
        ).fetchone()
        return None if row[0] is None else float(row[0])

    def counts(self, queue: str, now: float, oldest: float) -> tuple[int, int, int]:
        """(visible, in flight, delayed) messages of ``queue``."""
        row = self.conn.execute(
            "SELECT"
            " SUM(visible_at <= ?),"
            " SUM(visible_at > ? AND receive_count > 0),"
            " SUM(visible_at > ? AND receive_count = 0)"
            " FROM messages WHERE queue = ? AND sent >= ?",
            (now, now, now, queue, oldest),
        ).fetchone()
        return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)

    def expire(self, queue: str, oldest: float, now: float) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM messages WHERE queue = ? AND sent < ?", (queue, oldest))
            conn.execute("DELETE FROM dedup WHERE expires < ?", (now,))

    # -- FIFO deduplication ----------------------------------------------------------------

    def deduplicated(self, queue: str, key: str, now: float) -> tuple[str, str] | None:
        row = self.conn.execute(
            "SELECT message_id, sequence FROM dedup WHERE queue = ? AND key = ? AND expires > ?",
            (queue, key, now),
        ).fetchone()
        return None if row is None else (row[0], row[1])

    def remember(self, queue: str, key: str, expires: float, message_id: str, seq: str) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO dedup (queue, key, expires, message_id, sequence)"
            " VALUES (?, ?, ?, ?, ?)",
            (queue, key, expires, message_id, seq),
        )

    # -- move tasks ------------------------------------------------------------------------

    def save_task(self, task: dict[str, Any]) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO move_tasks (handle, source, destination, rate, status,"
                " started, moved, to_move, failure, upto, done) VALUES (:handle, :source,"
                " :destination, :rate, :status, :started, :moved, :to_move, :failure, :upto,"
                " :done)",
                task,
            )

    def tasks(self, source: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
        """Move tasks, newest first: of one source queue (ARN), or all with ``status``."""
        where, args = ("source = ?", source) if source is not None else ("status = ?", status)
        cursor = self.conn.execute(
            "SELECT handle, source, destination, rate, status, started, moved, to_move, failure,"
            f" upto, done FROM move_tasks WHERE {where} ORDER BY started DESC, rowid DESC",
            (args,),
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def task(self, handle: str) -> dict[str, Any] | None:
        cursor = self.conn.execute(
            "SELECT handle, source, destination, rate, status, started, moved, to_move, failure,"
            " upto, done FROM move_tasks WHERE handle = ?",
            (handle,),
        )
        names = [d[0] for d in cursor.description]
        row = cursor.fetchone()
        return None if row is None else dict(zip(names, row, strict=True))

    def count_between(self, queue: str, after: int, upto: int) -> int:
        row = self.conn.execute(
            "SELECT COUNT(*) FROM messages WHERE queue = ? AND seq > ? AND seq <= ?",
            (queue, after, upto),
        ).fetchone()
        return int(row[0])

    def last_seq(self, queue: str) -> int:
        row = self.conn.execute(
            "SELECT MAX(seq) FROM messages WHERE queue = ?", (queue,)
        ).fetchone()
        return int(row[0] or 0)


def _maybe(text: str | None) -> dict[str, Any] | None:
    return None if text is None else dict(fastjson.loads(text))
