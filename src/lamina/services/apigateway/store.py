"""The management API's SQLite tables: what the API made or changed, the template's being the
deployment's own.

``keys`` and ``plans`` hold each as the document ``GetApiKey``/``GetUsagePlan`` answers (a
template key changed through the API is stored whole and wins over the template's; a deleted
one is stored with ``deleted``); ``plan_keys`` the API's associations (``present`` 0 for a
template association the API removed); ``usage`` the calls the gateway counted per plan, key
and UTC day. Written before the API answers (WAL), so what it acknowledged survives ``kill -9``;
usage counts are written behind, at most a second late (``service.UsageRecorder``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lamina import fastjson
from lamina.storage.sqlite import connect

_MIGRATIONS = (
    """
    CREATE TABLE keys (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
    CREATE TABLE plans (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
    CREATE TABLE plan_keys (plan TEXT NOT NULL, key TEXT NOT NULL, present INTEGER NOT NULL,
                            PRIMARY KEY (plan, key));
    """,
    """
    CREATE TABLE usage (plan TEXT NOT NULL, key TEXT NOT NULL, day INTEGER NOT NULL,
                        calls INTEGER NOT NULL, PRIMARY KEY (plan, key, day));
    """,
)

Doc = dict[str, Any]


class Store:
    def __init__(self, path: Path) -> None:
        self._conn = connect(path, _MIGRATIONS)

    def docs(self, table: str) -> dict[str, Doc]:
        assert table in ("keys", "plans")
        rows = self._conn.execute(f"SELECT id, doc FROM {table} ORDER BY id").fetchall()
        return {str(i): dict(fastjson.loads(d)) for i, d in rows}

    def put(self, table: str, doc: Doc) -> None:
        assert table in ("keys", "plans")
        self._conn.execute(
            f"INSERT OR REPLACE INTO {table} VALUES (?, ?)", (doc["id"], fastjson.dumps_text(doc))
        )

    def plan_keys(self) -> list[tuple[str, str, bool]]:
        rows = self._conn.execute("SELECT plan, key, present FROM plan_keys").fetchall()
        return [(str(p), str(k), bool(present)) for p, k, present in rows]

    def put_plan_key(self, plan: str, key: str, present: bool) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO plan_keys VALUES (?, ?, ?)", (plan, key, int(present))
        )

    def usage(self) -> dict[tuple[str, str], dict[int, int]]:
        """The gateway's calls by (plan, key) and UTC day number."""
        counts: dict[tuple[str, str], dict[int, int]] = {}
        for plan, key, day, calls in self._conn.execute("SELECT * FROM usage").fetchall():
            counts.setdefault((str(plan), str(key)), {})[int(day)] = int(calls)
        return counts

    def count(self, counts: dict[tuple[str, str, int], int]) -> None:
        """Calls by (plan, key, day number), in one transaction."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            self._conn.executemany(
                "INSERT OR REPLACE INTO usage VALUES (?, ?, ?, ?)",
                [(*slot, calls) for slot, calls in counts.items()],
            )
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def close(self) -> None:
        self._conn.close()
