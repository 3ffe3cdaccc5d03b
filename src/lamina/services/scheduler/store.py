"""Scheduler's SQLite tables: schedule groups, schedules (each as the document ``GetSchedule``
answers, timestamps as epoch seconds) and the groups' tags.

Written before the API answers (WAL), so a schedule created survives ``kill -9``.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from lamina import fastjson
from lamina.storage.sqlite import connect

_MIGRATIONS = (
    """
    CREATE TABLE groups (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
    CREATE TABLE schedules (
        grp TEXT NOT NULL,
        name TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (grp, name)
    );
    CREATE TABLE tags (arn TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
                       PRIMARY KEY (arn, key));
    """,
)

Doc = dict[str, Any]


class Store:
    def __init__(self, path: Path) -> None:
        self._conn = connect(path, _MIGRATIONS)
        # Handlers run on worker threads; a read-then-write (create if absent) holds it.
        self.lock = threading.RLock()

    # -- groups ------------------------------------------------------------------------------

    def group(self, name: str) -> Doc | None:
        row = self._conn.execute("SELECT doc FROM groups WHERE name = ?", (name,)).fetchone()
        return None if row is None else dict(fastjson.loads(row[0]))

    def groups(self) -> list[Doc]:
        rows = self._conn.execute("SELECT doc FROM groups ORDER BY name").fetchall()
        return [dict(fastjson.loads(r[0])) for r in rows]

    def put_group(self, doc: Doc) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO groups VALUES (?, ?)", (doc["Name"], fastjson.dumps_text(doc))
        )

    def delete_group(self, name: str, arn: str) -> None:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            self._conn.execute("DELETE FROM schedules WHERE grp = ?", (name,))
            self._conn.execute("DELETE FROM groups WHERE name = ?", (name,))
            self._conn.execute("DELETE FROM tags WHERE arn = ?", (arn,))
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    # -- schedules ---------------------------------------------------------------------------

    def schedule(self, group: str, name: str) -> Doc | None:
        row = self._conn.execute(
            "SELECT doc FROM schedules WHERE grp = ? AND name = ?", (group, name)
        ).fetchone()
        return None if row is None else dict(fastjson.loads(row[0]))

    def schedules(self, group: str | None = None) -> list[Doc]:
        if group is None:
            rows = self._conn.execute("SELECT doc FROM schedules ORDER BY grp, name").fetchall()
        else:
            rows = self._conn.execute(
                "SELECT doc FROM schedules WHERE grp = ? ORDER BY name", (group,)
            ).fetchall()
        return [dict(fastjson.loads(r[0])) for r in rows]

    def put_schedule(self, doc: Doc) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO schedules VALUES (?, ?, ?)",
            (doc["GroupName"], doc["Name"], fastjson.dumps_text(doc)),
        )

    def delete_schedule(self, group: str, name: str) -> bool:
        cursor = self._conn.execute(
            "DELETE FROM schedules WHERE grp = ? AND name = ?", (group, name)
        )
        return cursor.rowcount > 0

    # -- tags --------------------------------------------------------------------------------

    def tags(self, arn: str) -> dict[str, str]:
        rows = self._conn.execute("SELECT key, value FROM tags WHERE arn = ?", (arn,)).fetchall()
        return {str(k): str(v) for k, v in rows}

    def tag(self, arn: str, tags: dict[str, str]) -> None:
        self._conn.executemany(
            "INSERT OR REPLACE INTO tags VALUES (?, ?, ?)", [(arn, k, v) for k, v in tags.items()]
        )

    def untag(self, arn: str, keys: list[str]) -> None:
        self._conn.executemany(
            "DELETE FROM tags WHERE arn = ? AND key = ?", [(arn, k) for k in keys]
        )

    def close(self) -> None:
        self._conn.close()
