"""The tables of one Lamina deployment: lookups, item reads and the one write path.

Every change to an item goes through ``write`` inside ``store.transaction()``: it updates the row
and its index rows, and appends the stream record when the table has a stream, in the same SQLite
transaction, so a stream never shows a change that was not stored, nor misses one that was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lamina import fastjson, ids
from lamina.clock import Clock
from lamina.model import arns
from lamina.services.dynamodb.errors import (
    ResourceNotFoundException,
    ValidationException,
    invalid,
    table_not_found,
)
from lamina.services.dynamodb.keys import project_key
from lamina.services.dynamodb.schema import Table
from lamina.services.dynamodb.store import DUMPS, Store
from lamina.services.dynamodb.streams import StreamCatalog
from lamina.services.dynamodb.types import Item, item_size

MAX_ITEM_BYTES = 400 * 1024


@dataclass(frozen=True, slots=True)
class Place:
    region: str
    account_id: str

    def table_arn(self, name: str) -> str:
        return arns.arn("dynamodb", self.region, self.account_id, f"table/{name}")


class Database:
    def __init__(self, store: Store, place: Place, clock: Clock) -> None:
        self.store = store
        self.place = place
        self.clock = clock
        self.streams = StreamCatalog(store, clock)

    def table(self, name: Any, *, named: bool = False) -> Table:
        """The table called ``name``; ``named`` words the error as table operations do."""
        table = self.store.tables.get(name) if isinstance(name, str) else None
        if table is None:
            raise table_not_found(str(name) if named else None)
        return table

    def table_by_arn(self, arn: Any) -> Table:
        if isinstance(arn, str):
            for table in self.store.tables.values():
                if table.arn == arn:
                    return table
            if arn.startswith("arn:") and ":table/" in arn:
                raise ResourceNotFoundException(
                    f"Requested resource not found: ResourceArn: {arn} not found"
                )
        raise ValidationException(f"Invalid TableArn: Invalid ResourceArn provided as input {arn}")

    def read(self, table: Table, hk: bytes, rk: bytes) -> Item | None:
        text = self.store.get(table, hk, rk)
        return None if text is None else dict(fastjson.loads(text))

    def check_new_item(self, table: Table, item: Item, updating: bool = False) -> None:
        """Size and secondary index key rules every item written must meet."""
        if item_size(item) > MAX_ITEM_BYTES:
            if updating:
                raise ValidationException(
                    "Item size to update has exceeded the maximum allowed size"
                )
            raise ValidationException("Item size has exceeded the maximum allowed size")
        for index in table.indexes:
            for name, expected in (
                (index.keys.hash, index.keys.hash_type),
                (index.keys.range, index.keys.range_type),
            ):
                value = item.get(name) if name is not None else None
                if value is None:
                    continue
                actual = next(iter(value))
                if actual != expected:
                    raise invalid(
                        f"Type mismatch for Index Key {name} Expected: {expected} "
                        f"Actual: {actual} IndexName: {index.name}"
                    )
                if value.get(actual) == "":
                    raise ValidationException(
                        "One or more parameter values are not valid. A value specified for a "
                        "secondary index key is not supported. The AttributeValue for a key "
                        f"attribute cannot contain an empty string value. IndexName: "
                        f"{index.name}, IndexKey: {name}"
                    )

    def write(
        self,
        table: Table,
        hk: bytes,
        rk: bytes,
        old: Item | None,
        new: Item | None,
        *,
        by_service: bool = False,
    ) -> None:
        """Replace ``old`` by ``new`` (None deletes); call inside ``store.transaction()``.
        ``by_service`` marks TTL deletions in the stream record, as DynamoDB does."""
        if new is not None:
            self.store.put(table, hk, rk, new, old)
        elif old is not None:
            self.store.delete(table, hk, rk, old)
        else:
            return
        if table.stream_view is not None and table.stream_arn is not None:
            self._record(table, old, new, by_service)

    def _record(self, table: Table, old: Item | None, new: Item | None, by_service: bool) -> None:
        view = table.stream_view
        assert view is not None
        event = "INSERT" if old is None else ("REMOVE" if new is None else "MODIFY")
        present = new if new is not None else old
        assert present is not None
        now = self.clock.wall()
        body: dict[str, Any] = {
            "ApproximateCreationDateTime": float(int(now)),
            "Keys": project_key(present, table.keys),
            "StreamViewType": view,
        }
        if view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES") and new is not None:
            body["NewImage"] = new
        if view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES") and old is not None:
            body["OldImage"] = old
        body["SizeBytes"] = sum(
            item_size(body[k]) for k in ("Keys", "NewImage", "OldImage") if k in body
        )
        record: dict[str, Any] = {
            "eventID": ids.hex_id(),
            "eventName": event,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": self.place.region,
            "dynamodb": body,
        }
        if by_service:
            record["userIdentity"] = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
        self.store.conn.execute(
            "INSERT INTO stream_records (arn, created, record) VALUES (?, ?, ?)",
            (table.stream_arn, now, DUMPS(record)),
        )
