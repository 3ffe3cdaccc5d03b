"""Pipes' SQLite table: each pipe as the document ``DescribePipe`` answers (timestamps as epoch
seconds, tags inside it).

Written before the API answers (WAL), so a pipe created survives ``kill -9``.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from lamina import fastjson
from lamina.storage.sqlite import connect

_MIGRATIONS = ("CREATE TABLE pipes (name TEXT PRIMARY KEY, doc TEXT NOT NULL);",)

Doc = dict[str, Any]


class Store:
    def __init__(self, path: Path) -> None:
        self._conn = connect(path, _MIGRATIONS)
        # Handlers run on worker threads; a read-then-write (create if absent) holds it.
        self.lock = threading.RLock()

    def pipe(self, name: str) -> Doc | None:
        row = self._conn.execute("SELECT doc FROM pipes WHERE name = ?", (name,)).fetchone()
        return None if row is None else dict(fastjson.loads(row[0]))

    def pipes(self) -> list[Doc]:
        rows = self._conn.execute("SELECT doc FROM pipes ORDER BY name").fetchall()
        return [dict(fastjson.loads(r[0])) for r in rows]

    def put(self, doc: Doc) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO pipes VALUES (?, ?)", (doc["Name"], fastjson.dumps_text(doc))
        )

    def delete(self, name: str) -> bool:
        return self._conn.execute("DELETE FROM pipes WHERE name = ?", (name,)).rowcount > 0

    def close(self) -> None:
        self._conn.close()
