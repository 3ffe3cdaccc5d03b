"""Step Functions' SQLite tables (``stepfunctions.sqlite3``).

``machines``: state machines by ARN (a JSON document each: definition, type, role, dates,
revision, tags). ``revisions``: every revision a state machine has had, by ``revisionId``: an
execution names the revision it runs (DescribeStateMachineForExecution, a resume after restart)
rather than carrying a copy of the definition. ``activities``: activities by ARN.
``executions``: Standard executions (Express
ones are never stored, as AWS keeps no history of them) with their status, result and the
*checkpoint* the executor resumes from after a restart. ``events``: each execution's history,
numbered from 1, in rows of the events one write recorded (a JSON array each: an execution
of ten Pass states is one row, and its first write is in the execution's own row, so that
starting it is one statement). A detail written ``{RAW: value}`` is shown as ``value``'s JSON
text when read: the executor does not serialise every state's input and output as it runs.

The executor's durability rests on ``advance``: the history events of a step and the checkpoint
that follows them are written in one transaction, before the step's effect is started (a task
invoked, a timer armed), so a ``kill -9`` leaves either both or neither. ``tokens``: the task
tokens of ``.waitForTaskToken`` tasks and activities that wait for an answer. ``branches``: the
results of a top-level Parallel's branches (a Map's iterations) as each finishes.
``versions``: a state machine's published versions by number (a JSON document each naming the
revision it froze); numbers are never reused while the machine lives, as AWS numbers them.
``aliases``: a machine's aliases by name (a JSON document each, with its routing to versions).
``map_runs``: the Map Runs of distributed Map states (DescribeMapRun's document each).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lamina import fastjson
from lamina.storage.sqlite import connect

Doc = dict[str, Any]
RAW = "$raw"

_MIGRATIONS = (
    """
    CREATE TABLE machines (arn TEXT PRIMARY KEY, name TEXT NOT NULL, doc TEXT NOT NULL);
    CREATE TABLE activities (arn TEXT PRIMARY KEY, name TEXT NOT NULL, doc TEXT NOT NULL);
    CREATE TABLE executions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        arn TEXT NOT NULL UNIQUE,
        machine TEXT NOT NULL,
        status TEXT NOT NULL,
        doc TEXT NOT NULL,
        checkpoint TEXT,
        events BLOB
    );
    CREATE INDEX executions_by_machine ON executions (machine, seq);
    CREATE TABLE events (
        execution TEXT NOT NULL,
        first INTEGER NOT NULL,
        last INTEGER NOT NULL,
        docs BLOB NOT NULL,
        PRIMARY KEY (execution, first)
    ) WITHOUT ROWID;
    CREATE TABLE tokens (token TEXT PRIMARY KEY, execution TEXT NOT NULL, doc TEXT NOT NULL);
    CREATE TABLE revisions (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
    CREATE TABLE branches (
        execution TEXT NOT NULL,
        fanout TEXT NOT NULL,
        idx INTEGER NOT NULL,
        result TEXT NOT NULL,
        PRIMARY KEY (execution, fanout, idx)
    ) WITHOUT ROWID;
    """,
    """
    CREATE TABLE versions (
        machine TEXT NOT NULL,
        number INTEGER NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (machine, number)
    ) WITHOUT ROWID;
    CREATE TABLE aliases (
        machine TEXT NOT NULL,
        name TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (machine, name)
    ) WITHOUT ROWID;
    CREATE TABLE map_runs (arn TEXT PRIMARY KEY, execution TEXT NOT NULL, doc TEXT NOT NULL);
    CREATE INDEX map_runs_by_execution ON map_runs (execution);
    """,
)


@dataclass(frozen=True, slots=True)
class Execution:
    arn: str
    machine: str
    status: str
    doc: Doc
    checkpoint: Doc | None


class Store:
    def __init__(self, path: Path) -> None:
        self._conn = connect(path, _MIGRATIONS)
        self.lock = threading.RLock()

    def close(self) -> None:
        with self.lock:
            self._conn.close()

    # -- state machines and activities --------------------------------------------------------

    def machine(self, arn: str) -> Doc | None:
        with self.lock:
            row = self._conn.execute("SELECT doc FROM machines WHERE arn = ?", (arn,)).fetchone()
        return None if row is None else dict(fastjson.loads(row[0]))

    def machines(self) -> list[Doc]:
        with self.lock:
            rows = self._conn.execute("SELECT doc FROM machines ORDER BY name").fetchall()
        return [dict(fastjson.loads(d)) for (d,) in rows]

    def put_machine(self, doc: Doc) -> None:
        text = fastjson.dumps_text(doc)
        with self.lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.execute(
                "INSERT OR REPLACE INTO machines VALUES (?, ?, ?)",
                (doc["stateMachineArn"], doc["name"], text),
            )
            self._conn.execute(
                "INSERT OR IGNORE INTO revisions VALUES (?, ?)", (doc["revisionId"], text)
            )
            self._conn.execute("COMMIT")

    def revision(self, revision_id: str) -> Doc | None:
        with self.lock:
            row = self._conn.execute(
                "SELECT doc FROM revisions WHERE id = ?", (revision_id,)
            ).fetchone()
        return None if row is None else dict(fastjson.loads(row[0]))

    def delete_machine(self, arn: str) -> None:
        with self.lock:
            self._conn.execute("DELETE FROM machines WHERE arn = ?", (arn,))
            self._conn.execute("DELETE FROM versions WHERE machine = ?", (arn,))
            self._conn.execute("DELETE FROM aliases WHERE machine = ?", (arn,))

    def versions(self, machine: str) -> list[Doc]:
        """A machine's versions, newest first."""
        with self.lock:
            rows = self._conn.execute(
                "SELECT doc FROM versions WHERE machine = ? ORDER BY number DESC", (machine,)
            ).fetchall()
        return [dict(fastjson.loads(d)) for (d,) in rows]

    def version(self, machine: str, number: int) -> Doc | None:
        with self.lock:
            row = self._conn.execute(
                "SELECT doc FROM versions WHERE machine = ? AND number = ?", (machine, number)
            ).fetchone()
        return None if row is None else dict(fastjson.loads(row[0]))

    def put_version(self, machine: str, number: int, doc: Doc) -> None:
        with self.lock:
            self._conn.execute(
                "INSERT INTO versions VALUES (?, ?, ?)",
                (machine, number, fastjson.dumps_text(doc)),
            )

    def delete_version(self, machine: str, number: int) -> None:
        with self.lock:
            self._conn.execute(
                "DELETE FROM versions WHERE machine = ? AND number = ?", (machine, number)
            )

    def aliases(self, machine: str) -> list[Doc]:
        with self.lock:
            rows = self._conn.execute(
                "SELECT doc FROM aliases WHERE machine = ? ORDER BY name", (machine,)
            ).fetchall()
        return [dict(fastjson.loads(d)) for (d,) in rows]

    def alias(self, machine: str, name: str) -> Doc | None:
        with self.lock:
            row = self._conn.execute(
                "SELECT doc FROM aliases WHERE machine = ? AND name = ?", (machine, name)
            ).fetchone()
        return None if row is None else dict(fastjson.loads(row[0]))

    def put_alias(self, machine: str, doc: Doc) -> None:
        with self.lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO aliases VALUES (?, ?, ?)",
                (machine, doc["name"], fastjson.dumps_text(doc)),
            )

    def delete_alias(self, machine: str, name: str) -> None:
        with self.lock:
            self._conn.execute(
                "DELETE FROM aliases WHERE machine = ? AND name = ?", (machine, name)
            )

    def put_map_run(self, doc: Doc) -> None:
        with self.lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO map_runs VALUES (?, ?, ?)",
                (doc["mapRunArn"], doc["executionArn"], fastjson.dumps_text(doc)),
            )

    def map_run(self, arn: str) -> Doc | None:
        with self.lock:
            row = self._conn.execute("SELECT doc FROM map_runs WHERE arn = ?", (arn,)).fetchone()
        return None if row is None else dict(fastjson.loads(row[0]))

    def map_runs(self, execution: str) -> list[Doc]:
        with self.lock:
            rows = self._conn.execute(
                "SELECT doc FROM map_runs WHERE execution = ? ORDER BY rowid", (execution,)
            ).fetchall()
        return [dict(fastjson.loads(d)) for (d,) in rows]

    def activity(self, arn: str) -> Doc | None:
        with self.lock:
            row = self._conn.execute("SELECT doc FROM activities WHERE arn = ?", (arn,)).fetchone()
        return None if row is None else dict(fastjson.loads(row[0]))

    def activities(self) -> list[Doc]:
        with self.lock:
            rows = self._conn.execute("SELECT doc FROM activities ORDER BY name").fetchall()
        return [dict(fastjson.loads(d)) for (d,) in rows]

    def put_activity(self, doc: Doc) -> None:
        with self.lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO activities VALUES (?, ?, ?)",
                (doc["activityArn"], doc["name"], fastjson.dumps_text(doc)),
            )

    def delete_activity(self, arn: str) -> None:
        with self.lock:
            self._conn.execute("DELETE FROM activities WHERE arn = ?", (arn,))

    # -- executions ---------------------------------------------------------------------------

    def execution(self, arn: str) -> Execution | None:
        with self.lock:
            row = self._conn.execute(
                "SELECT arn, machine, status, doc, checkpoint FROM executions WHERE arn = ?",
                (arn,),
            ).fetchone()
        return None if row is None else _execution(row)

    def executions(
        self, machine: str, status: str | None, after: int | None, limit: int
    ) -> list[tuple[int, Doc]]:
        """Newest first, from before ``after`` (a seq) on."""
        sql = "SELECT seq, doc FROM executions WHERE machine = ?"
        args: list[Any] = [machine]
        if status is not None:
            sql += " AND status = ?"
            args.append(status)
        if after is not None:
            sql += " AND seq < ?"
            args.append(after)
        sql += " ORDER BY seq DESC LIMIT ?"
        args.append(limit)
        with self.lock:
            rows = self._conn.execute(sql, args).fetchall()
        return [(int(s), dict(fastjson.loads(d))) for s, d in rows]

    def running(self) -> list[Execution]:
        """The executions to resume (a distributed Map's child executions are its parent's)."""
        with self.lock:
            rows = self._conn.execute(
                "SELECT arn, machine, status, doc, checkpoint FROM executions "
                "WHERE status = 'RUNNING' AND machine NOT LIKE '%:mapRun:%' ORDER BY seq"
            ).fetchall()
        return [_execution(r) for r in rows]

    # -- a distributed Map's child executions (listed under their Map Run's ARN) ----------

    def start_child(self, doc: Doc) -> None:
        with self.lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO executions (arn, machine, status, doc) VALUES (?, ?, ?, ?)",
                (doc["executionArn"], doc["mapRunArn"], doc["status"], fastjson.dumps_text(doc)),
            )

    def end_child(self, doc: Doc) -> None:
        with self.lock:
            self._conn.execute(
                "UPDATE executions SET status = ?, doc = ? WHERE arn = ?",
                (doc["status"], fastjson.dumps_text(doc), doc["executionArn"]),
            )

    def abort_children(self, now: float) -> None:
        """Child executions a stop cut short are ABORTED (their parent runs them again)."""
        with self.lock:
            rows = self._conn.execute(
                "SELECT arn, doc FROM executions "
                "WHERE status = 'RUNNING' AND machine LIKE '%:mapRun:%'"
            ).fetchall()
            for arn, text in rows:
                doc = dict(fastjson.loads(text)) | {"status": "ABORTED", "stopDate": now}
                self._conn.execute(
                    "UPDATE executions SET status = 'ABORTED', doc = ? WHERE arn = ?",
                    (fastjson.dumps_text(doc), arn),
                )

    def start(self, doc: Doc, events: Iterable[Doc], checkpoint: Doc | None) -> bool:
        """Record a new execution with its first events (or all of them, when it has
        already ended); False when its ARN exists. One statement, so no transaction of its
        own: the execution's row carries the events of its first write."""
        batch = list(events)
        with self.lock:
            try:
                self._conn.execute(
                    "INSERT INTO executions (arn, machine, status, doc, checkpoint, events) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        doc["executionArn"],
                        doc["stateMachineArn"],
                        doc["status"],
                        fastjson.dumps_text(doc),
                        None if checkpoint is None else fastjson.dumps_text(checkpoint),
                        _pack(batch) if batch else None,
                    ),
                )
            except sqlite3.IntegrityError:
                return False
        return True

    def advance(
        self,
        arn: str,
        events: Iterable[Doc],
        checkpoint: Doc | None,
        doc: Doc | None = None,
    ) -> None:
        """Append ``events`` and replace the checkpoint (and, when the execution ends, its
        document) in one transaction."""
        with self.lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._events(arn, events)
            if doc is not None:
                self._conn.execute(
                    "UPDATE executions SET status = ?, doc = ?, checkpoint = ? WHERE arn = ?",
                    (
                        doc["status"],
                        fastjson.dumps_text(doc),
                        None if checkpoint is None else fastjson.dumps_text(checkpoint),
                        arn,
                    ),
                )
            else:
                self._conn.execute(
                    "UPDATE executions SET checkpoint = ? WHERE arn = ?",
                    (None if checkpoint is None else fastjson.dumps_text(checkpoint), arn),
                )
            self._conn.execute("COMMIT")

    def _events(self, arn: str, events: Iterable[Doc]) -> None:
        batch = list(events)
        if batch:
            self._conn.execute(
                "INSERT INTO events VALUES (?, ?, ?, ?)",
                (arn, int(batch[0]["id"]), int(batch[-1]["id"]), _pack(batch)),
            )

    def _batches(self, arn: str) -> list[bytes]:
        """Every write's events, oldest first: the execution row's, then the events table's."""
        first = self._conn.execute("SELECT events FROM executions WHERE arn = ?", (arn,)).fetchone()
        rows = self._conn.execute(
            "SELECT docs FROM events WHERE execution = ? ORDER BY first", (arn,)
        ).fetchall()
        head = [first[0]] if first is not None and first[0] is not None else []
        return head + [r[0] for r in rows]

    def history(self, arn: str, after: int, limit: int, reverse: bool) -> list[Doc]:
        """Up to ``limit`` events after the id ``after`` (before it, newest first, when
        ``reverse``; 0 starts at either end)."""
        bound = after if after > 0 or not reverse else 2**62
        found: list[Doc] = []
        with self.lock:
            batches = self._batches(arn)
        for packed in reversed(batches) if reverse else batches:
            batch = fastjson.loads(packed)
            for event in reversed(batch) if reverse else batch:
                if (event["id"] < bound) if reverse else (event["id"] > bound):
                    found.append(_shown(event))
            if len(found) >= limit:
                break
        return found[:limit]

    def last_event_id(self, arn: str) -> int:
        with self.lock:
            batches = self._batches(arn)
        if not batches:
            return 0
        return int(fastjson.loads(batches[-1])[-1]["id"])

    # -- finished branches of a Parallel or Map ----------------------------------------------

    def branch_done(
        self, arn: str, events: Iterable[Doc], fanout: str, index: int, result: Any
    ) -> None:
        """A branch's result with the events up to its end, in one transaction."""
        with self.lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._events(arn, events)
            self._conn.execute(
                "INSERT OR REPLACE INTO branches VALUES (?, ?, ?, ?)",
                (arn, fanout, index, fastjson.dumps_text(result)),
            )
            self._conn.execute("COMMIT")

    def branches(self, arn: str, fanout: str) -> dict[int, Any]:
        with self.lock:
            rows = self._conn.execute(
                "SELECT idx, result FROM branches WHERE execution = ? AND fanout = ?",
                (arn, fanout),
            ).fetchall()
        return {int(i): fastjson.loads(r) for i, r in rows}

    # -- task tokens --------------------------------------------------------------------------

    def put_token(self, token: str, execution: str, doc: Doc) -> None:
        with self.lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO tokens VALUES (?, ?, ?)",
                (token, execution, fastjson.dumps_text(doc)),
            )

    def token(self, token: str) -> Doc | None:
        with self.lock:
            row = self._conn.execute("SELECT doc FROM tokens WHERE token = ?", (token,)).fetchone()
        return None if row is None else dict(fastjson.loads(row[0]))

    def drop_token(self, token: str) -> None:
        with self.lock:
            self._conn.execute("DELETE FROM tokens WHERE token = ?", (token,))


def _pack(events: list[Doc]) -> bytes:
    # Not compressed: zlib's fastest level shrank a 10-state history six times, yet cost more
    # than the WAL pages it saved (benchmarks/stepfunctions.py, Standard vs Express).
    return fastjson.dumps(events)


def _shown(event: Doc) -> Doc:
    for value in event.values():
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, dict) and RAW in item:
                    value[key] = fastjson.dumps_text(item[RAW])
    return event


def _execution(row: tuple[Any, ...]) -> Execution:
    arn, machine, status, doc, checkpoint = row
    return Execution(
        str(arn),
        str(machine),
        str(status),
        dict(fastjson.loads(doc)),
        None if checkpoint is None else dict(fastjson.loads(checkpoint)),
    )
