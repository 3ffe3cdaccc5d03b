"""Durable tables in one SQLite database (WAL): the catalog, the items, the secondary indexes.

Layout: ``catalog`` holds each table's definition as JSON. The items of table ``n`` live in
``t{n}`` keyed by ``(seg, hk, rk)``: ``hk``/``rk`` are the sortable encodings of the hash and range
key (``keys.encode``), ``seg`` a hash of ``hk`` that spreads partitions for parallel Scan, and
``item`` the item's canonical JSON, returned to clients as stored. Index ``i`` of table ``n`` lives
in ``x{n}_{i}`` keyed by its own key then the base key, holding the projected item. GetItem and
Query are therefore a B-tree seek plus the rows returned, whatever the table's size.

Contract: every mutation happens inside ``transaction()``, which is one SQLite transaction
committed before it returns (WAL with ``synchronous=NORMAL``: a commit survives ``kill -9``).
The store is used from one thread (the event loop's); nothing here is re-entrant.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lamina import fastjson
from lamina.services.dynamodb.keys import check_item_key, segment_hash
from lamina.services.dynamodb.schema import Index, Table
from lamina.services.dynamodb.types import Item, item_size
from lamina.storage.sqlite import connect

_MIGRATIONS = [
    """
    CREATE TABLE catalog (name TEXT PRIMARY KEY, number INTEGER NOT NULL, definition TEXT NOT NULL);
    CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    CREATE TABLE streams (arn TEXT PRIMARY KEY, definition TEXT NOT NULL);
    CREATE TABLE stream_records (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        arn TEXT NOT NULL,
        created REAL NOT NULL,
        record TEXT NOT NULL
    );
    CREATE INDEX stream_records_by_arn ON stream_records(arn, seq);
    """,
    # The template's settings last deployed to each table (see deployment.py).
    "CREATE TABLE deployed (name TEXT PRIMARY KEY, settings TEXT NOT NULL);",
]
DUMPS = fastjson.dumps_text


@dataclass(frozen=True, slots=True)
class Row:
    """One stored item: its canonical JSON and DynamoDB size."""

    item: str
    size: int
    # The position of the row in its table or index, for pagination: (seg, hk, rk[, bhk, brk]).
    position: tuple[Any, ...]


def _index_table(table: Table, index: Index) -> str:
    return f"x{table.number}_{index.number}"


def ttl_expiry(item: Item, attribute: str | None) -> float | None:
    """The epoch second ``item`` expires at, when TTL is on and the attribute is a number."""
    if attribute is None:
        return None
    value = item.get(attribute)
    if value is None or "N" not in value:
        return None
    try:
        return float(value["N"])
    except (ValueError, OverflowError):
        return None


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = connect(path, _MIGRATIONS)
        self.tables: dict[str, Table] = {}
        for (definition,) in self.conn.execute("SELECT definition FROM catalog"):
            table = Table.from_json(fastjson.loads(definition))
            self.tables[table.name] = table

    def close(self) -> None:
        self.conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def next_number(self, counter: str) -> int:
        row = self.conn.execute("SELECT value FROM counters WHERE name = ?", (counter,)).fetchone()
        value = (row[0] if row else 0) + 1
        self.conn.execute("INSERT OR REPLACE INTO counters VALUES (?, ?)", (counter, value))
        return int(value)

    # -- catalog -----------------------------------------------------------------------------

    def create_table(self, table: Table) -> None:
        n = table.number
        self.conn.execute(
            f"CREATE TABLE t{n} (seg INTEGER NOT NULL, hk BLOB NOT NULL, rk BLOB NOT NULL, "
            "size INTEGER NOT NULL, expires REAL, item TEXT NOT NULL, "
            "PRIMARY KEY (seg, hk, rk)) WITHOUT ROWID"
        )
        self.conn.execute(f"CREATE INDEX t{n}_expires ON t{n}(expires) WHERE expires IS NOT NULL")
        for index in table.indexes:
            self._create_index_table(table, index)
        self.save_table(table)

    def save_table(self, table: Table) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO catalog VALUES (?, ?, ?)",
            (table.name, table.number, fastjson.dumps_text(table.to_json())),
        )
        self.tables[table.name] = table

    def drop_table(self, table: Table) -> None:
        for index in table.indexes:
            self.conn.execute(f"DROP TABLE {_index_table(table, index)}")
        self.conn.execute(f"DROP TABLE t{table.number}")
        self.conn.execute("DELETE FROM catalog WHERE name = ?", (table.name,))
        # A table made again is new: no template deployed anything to it yet.
        self.conn.execute("DELETE FROM deployed WHERE name = ?", (table.name,))
        del self.tables[table.name]

    def deployed(self, name: str) -> dict[str, Any] | None:
        """The settings a template last deployed to table ``name``, None when none did."""
        row = self.conn.execute("SELECT settings FROM deployed WHERE name = ?", (name,)).fetchone()
        return None if row is None else dict(fastjson.loads(row[0]))

    def save_deployed(self, name: str, settings: dict[str, Any]) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO deployed VALUES (?, ?)", (name, fastjson.dumps_text(settings))
        )

    def _create_index_table(self, table: Table, index: Index) -> None:
        self.conn.execute(
            f"CREATE TABLE {_index_table(table, index)} (seg INTEGER NOT NULL, hk BLOB NOT NULL, "
            "rk BLOB NOT NULL, bhk BLOB NOT NULL, brk BLOB NOT NULL, size INTEGER NOT NULL, "
            "item TEXT NOT NULL, PRIMARY KEY (seg, hk, rk, bhk, brk)) WITHOUT ROWID"
        )

    def add_index(self, table: Table, index: Index) -> None:
        """Create an index over the items already there (``table`` already lists it)."""
        self._create_index_table(table, index)
        for hk, rk, text in self.conn.execute(f"SELECT hk, rk, item FROM t{table.number}"):
            self._index_insert(table, index, hk, rk, fastjson.loads(text))

    def drop_index(self, table: Table, index: Index) -> None:
        self.conn.execute(f"DROP TABLE {_index_table(table, index)}")

    def refresh_expiry(self, table: Table) -> None:
        """Recompute every item's expiry after the TTL attribute changed."""
        n = table.number
        rows = list(self.conn.execute(f"SELECT seg, hk, rk, item FROM t{n}"))
        for seg, hk, rk, text in rows:
            expires = ttl_expiry(fastjson.loads(text), table.ttl_attribute)
            self.conn.execute(
                f"UPDATE t{n} SET expires = ? WHERE seg = ? AND hk = ? AND rk = ?",
                (expires, seg, hk, rk),
            )

    def counts(self, table: Table) -> dict[str | None, tuple[int, int]]:
        counts: dict[str | None, tuple[int, int]] = {}
        sql = "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM "
        counts[None] = self.conn.execute(sql + f"t{table.number}").fetchone()
        for index in table.indexes:
            counts[index.name] = self.conn.execute(sql + _index_table(table, index)).fetchone()
        return counts

    # -- items -------------------------------------------------------------------------------

    def get(self, table: Table, hk: bytes, rk: bytes) -> str | None:
        row = self.conn.execute(
            f"SELECT item FROM t{table.number} WHERE seg = ? AND hk = ? AND rk = ?",
            (segment_hash(hk), hk, rk),
        ).fetchone()
        return None if row is None else str(row[0])

    def put(self, table: Table, hk: bytes, rk: bytes, item: Item, old: Item | None) -> int:
        """Store ``item`` under its key, replacing ``old`` (the item there now, or None) in
        every index; returns the item's size."""
        text = DUMPS(item)
        size = item_size(item)
        self.conn.execute(
            f"INSERT OR REPLACE INTO t{table.number} VALUES (?, ?, ?, ?, ?, ?)",
            (segment_hash(hk), hk, rk, size, ttl_expiry(item, table.ttl_attribute), text),
        )
        for index in table.indexes:
            if old is not None:
                self._index_delete(table, index, hk, rk, old)
            self._index_insert(table, index, hk, rk, item)
        return size

    def delete(self, table: Table, hk: bytes, rk: bytes, old: Item) -> None:
        self.conn.execute(
            f"DELETE FROM t{table.number} WHERE seg = ? AND hk = ? AND rk = ?",
            (segment_hash(hk), hk, rk),
        )
        for index in table.indexes:
            self._index_delete(table, index, hk, rk, old)

    def _index_key(self, index: Index, item: Item) -> tuple[bytes, bytes] | None:
        if any(name not in item for name in index.keys.names):
            return None  # sparse: an item without the index's key is not in the index
        return check_item_key(item, index.keys)

    def _index_insert(self, table: Table, index: Index, hk: bytes, rk: bytes, item: Item) -> None:
        key = self._index_key(index, item)
        if key is None:
            return
        projected = index.project(item, table.keys)
        self.conn.execute(
            f"INSERT OR REPLACE INTO {_index_table(table, index)} VALUES (?, ?, ?, ?, ?, ?, ?)",
            (segment_hash(key[0]), key[0], key[1], hk, rk, item_size(projected), DUMPS(projected)),
        )

    def _index_delete(self, table: Table, index: Index, hk: bytes, rk: bytes, old: Item) -> None:
        key = self._index_key(index, old)
        if key is None:
            return
        self.conn.execute(
            f"DELETE FROM {_index_table(table, index)} "
            "WHERE seg = ? AND hk = ? AND rk = ? AND bhk = ? AND brk = ?",
            (segment_hash(key[0]), key[0], key[1], hk, rk),
        )

    # -- reads -------------------------------------------------------------------------------

    def rows(
        self,
        table: Table,
        index: Index | None,
        where: str,
        params: tuple[Any, ...],
        order: str,
    ) -> Iterator[Row]:
        """Rows of the table (or index) matching ``where``, in ``order`` (SQL over the columns
        seg, hk, rk[, bhk, brk]), fetched lazily."""
        if index is None:
            name, columns = f"t{table.number}", "seg, hk, rk"
        else:
            name, columns = _index_table(table, index), "seg, hk, rk, bhk, brk"
        sql = f"SELECT item, size, {columns} FROM {name} WHERE {where} ORDER BY {order}"
        for item, size, *position in self.conn.execute(sql, params):
            yield Row(item, size, tuple(position))

    def expired(self, table: Table, now: float, oldest: float, limit: int) -> list[str]:
        """Items whose TTL passed (and is not older than ``oldest``, which DynamoDB ignores)."""
        return [
            str(text)
            for (text,) in self.conn.execute(
                f"SELECT item FROM t{table.number} WHERE expires IS NOT NULL "
                "AND expires <= ? AND expires >= ? LIMIT ?",
                (now, oldest, limit),
            )
        ]
