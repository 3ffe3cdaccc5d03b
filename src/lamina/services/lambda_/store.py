"""Where the Lambda API keeps its functions: one JSON document per function in SQLite.

A write returns once committed, so a function the API acknowledged (created, published, aliased)
survives ``kill -9``. The document holds the whole function, so each change is one atomic row
write.
"""

from __future__ import annotations

from pathlib import Path

from lamina import fastjson
from lamina.services.lambda_.models import FunctionDoc
from lamina.storage.sqlite import connect

_MIGRATIONS = (
    """
    CREATE TABLE functions (
        name TEXT PRIMARY KEY,
        doc TEXT NOT NULL
    );
    """,
    # Event source mappings made (or changed) through the API, by UUID.
    """
    CREATE TABLE mappings (
        uuid TEXT PRIMARY KEY,
        doc TEXT NOT NULL
    );
    """,
)


class FunctionStore:
    def __init__(self, path: Path) -> None:
        self._db = connect(path, _MIGRATIONS)

    def load(self) -> dict[str, FunctionDoc]:
        rows = self._db.execute("SELECT name, doc FROM functions").fetchall()
        return {str(name): FunctionDoc.from_json(fastjson.loads(doc)) for name, doc in rows}

    def save(self, function: FunctionDoc) -> None:
        self._db.execute(
            "INSERT INTO functions (name, doc) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET doc = excluded.doc",
            (function.name, fastjson.dumps(function.to_json()).decode()),
        )

    def delete(self, name: str) -> None:
        self._db.execute("DELETE FROM functions WHERE name = ?", (name,))

    def load_mappings(self) -> dict[str, dict[str, object]]:
        rows = self._db.execute("SELECT uuid, doc FROM mappings").fetchall()
        return {str(uuid): dict(fastjson.loads(doc)) for uuid, doc in rows}

    def save_mapping(self, uuid: str, doc: dict[str, object]) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO mappings (uuid, doc) VALUES (?, ?)",
            (uuid, fastjson.dumps_text(doc)),
        )

    def close(self) -> None:
        self._db.close()
