"""Query and Scan: pages of items read in key order, filtered, projected, counted.

A page stops at ``Limit`` items evaluated or once 1 MB has been read (sizes before filtering, as
DynamoDB meters them); it then carries ``LastEvaluatedKey``, the key of the last item evaluated
(the table's key, plus the index's for an index). Query reads one partition through the primary
key B-tree; Scan walks ``seg`` ranges, so parallel segments never overlap.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from lamina import fastjson
from lamina.services.dynamodb import capacity
from lamina.services.dynamodb.database import Database
from lamina.services.dynamodb.errors import ValidationException
from lamina.services.dynamodb.expressions.ast import Condition, Path
from lamina.services.dynamodb.expressions.evaluate import holds
from lamina.services.dynamodb.expressions.projection import project
from lamina.services.dynamodb.expressions.request import RequestExpressions
from lamina.services.dynamodb.keycondition import key_range
from lamina.services.dynamodb.keys import check_key, project_key, segment_hash
from lamina.services.dynamodb.schema import ALL, Index, Table
from lamina.services.dynamodb.store import DUMPS, Row
from lamina.services.dynamodb.types import Item, check_item

Params = Mapping[str, Any]
PAGE_BYTES = 1024 * 1024
_SEGMENTS = 1 << 32


def _index(table: Table, params: Params) -> Index | None:
    name = params.get("IndexName")
    if name is None:
        return None
    index = table.index(name)
    if index is None:
        raise ValidationException(f"The table does not have the specified index: {name}")
    if index.is_global and params.get("ConsistentRead"):
        raise ValidationException("Consistent reads are not supported on global secondary indexes")
    return index


def _select(params: Params, index: Index | None, paths: list[Path] | None) -> str:
    select = params.get("Select")
    if select is None:
        if paths is not None:
            return "SPECIFIC_ATTRIBUTES"
        return "ALL_PROJECTED_ATTRIBUTES" if index is not None else "ALL_ATTRIBUTES"
    if select == "SPECIFIC_ATTRIBUTES" and paths is None:
        raise ValidationException(
            "1 validation error detected: Value 'SPECIFIC_ATTRIBUTES' at 'select' failed to "
            "satisfy constraint: Member must have AttributesToGet or ProjectionExpression"
        )
    if select in ("ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "COUNT") and paths is not None:
        raise ValidationException(
            f"Cannot specify the AttributesToGet when choosing to get {select}"
            if select != "COUNT"
            else "Cannot specify the AttributesToGet when choosing to get only the Count"
        )
    if select == "ALL_PROJECTED_ATTRIBUTES" and index is None:
        raise ValidationException(
            "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"
        )
    if (
        select == "ALL_ATTRIBUTES"
        and index is not None
        and index.is_global
        and index.projection != ALL
    ):
        raise ValidationException(
            "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not "
            f"supported for global secondary index {index.name} because its projection type "
            "is not ALL"
        )
    if select not in ("ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "COUNT", "SPECIFIC_ATTRIBUTES"):
        raise ValidationException(
            f"1 validation error detected: Value '{select}' at 'select' failed to satisfy "
            "constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, "
            "ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]"
        )
    return str(select)


def _limit(params: Params) -> int | None:
    limit = params.get("Limit")
    if limit is None:
        return None
    if not isinstance(limit, int) or limit < 1:
        raise ValidationException(
            f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy "
            "constraint: Member must have value greater than or equal to 1"
        )
    return limit


def _start(table: Table, index: Index | None, params: Params) -> tuple[Any, ...] | None:
    """The position (as stored) just before which the page starts, from ExclusiveStartKey."""
    raw = params.get("ExclusiveStartKey")
    if raw is None:
        return None
    key = check_item(raw)
    names = {*table.keys.names, *(index.keys.names if index else ())}
    if set(key) != names:
        raise ValidationException(
            "The provided starting key is invalid: The provided key element does not match the "
            "schema"
        )
    hk, rk = check_key(project_key(key, table.keys), table.keys)
    if index is None:
        return (segment_hash(hk), hk, rk)
    ihk, irk = check_key(project_key(key, index.keys), index.keys)
    return (segment_hash(ihk), ihk, irk, hk, rk)


class _Page:
    def __init__(self) -> None:
        self.texts: list[str] = []
        self.items: list[Item] = []
        self.scanned = 0
        self.last: Row | None = None


def _read_page(
    rows: Iterator[Row],
    limit: int | None,
    condition: Condition | None,
    decode: bool,
) -> _Page:
    page = _Page()
    read = 0
    for row in rows:
        page.scanned += 1
        read += row.size
        item: Item | None = None
        if condition is not None or decode:
            item = fastjson.loads(row.item)
        if condition is None or holds(condition, item):  # type: ignore[arg-type]
            if decode:
                page.items.append(item)  # type: ignore[arg-type]
            else:
                page.texts.append(row.item)
        if (limit is not None and page.scanned >= limit) or read >= PAGE_BYTES:
            page.last = row
            break
    return page


def _respond(
    db: Database,
    table: Table,
    index: Index | None,
    params: Params,
    page: _Page,
    select: str,
    paths: list[Path] | None,
    base_keys: bool,
) -> dict[str, Any] | str:
    count = len(page.texts) + len(page.items)
    last_key: Item | None = None
    if page.last is not None:
        item = fastjson.loads(page.last.item)
        last_key = project_key(item, table.keys, *((index.keys,) if index else ()))
    units = capacity.read_units(count * 1024, bool(params.get("ConsistentRead")))
    consumed = capacity.consumed(params, table.name, units)
    if select == "COUNT":
        response: dict[str, Any] = {"Count": count, "ScannedCount": page.scanned}
    elif page.texts or not page.items:
        tail = f',"Count":{count},"ScannedCount":{page.scanned}'
        if last_key is not None:
            tail += ',"LastEvaluatedKey":' + DUMPS(last_key)
        if consumed is not None:
            tail += ',"ConsumedCapacity":' + DUMPS(consumed)
        return '{"Items":[' + ",".join(page.texts) + "]" + tail + "}"
    else:
        items = page.items
        if base_keys and index is not None:
            items = [_from_base(db, table, item) for item in items]
        if paths is not None:
            items = [project(item, paths) for item in items]
        response = {"Items": items, "Count": count, "ScannedCount": page.scanned}
    if last_key is not None:
        response["LastEvaluatedKey"] = last_key
    if consumed is not None:
        response["ConsumedCapacity"] = consumed
    return response


def _from_base(db: Database, table: Table, item: Item) -> Item:
    """The full item behind an LSI entry whose projection lacks what was asked."""
    hk, rk = check_key(project_key(item, table.keys), table.keys)
    return db.read(table, hk, rk) or item


def _plan(
    table: Table, index: Index | None, params: Params, legacy_filter: str
) -> tuple[Condition | None, list[Path] | None, str, bool, RequestExpressions]:
    expressions = RequestExpressions(params)
    condition = expressions.filter(legacy_filter)
    paths = expressions.projection()
    select = _select(params, index, paths)
    # An LSI answers for attributes it does not project by fetching the table's item.
    base_keys = (
        index is not None
        and not index.is_global
        and index.projection != ALL
        and (select == "ALL_ATTRIBUTES" or paths is not None)
    )
    return condition, paths, select, base_keys, expressions


def query(db: Database, params: Params) -> dict[str, Any] | str:
    table = db.table(params.get("TableName"))
    index = _index(table, params)
    schema = index.keys if index is not None else table.keys
    condition, paths, select, base_keys, expressions = _plan(table, index, params, "QueryFilter")
    key_condition = expressions.key_condition()
    expressions.finish()
    bounds = key_range(key_condition, schema)
    limit = _limit(params)
    start = _start(table, index, params)
    forward = params.get("ScanIndexForward", True) is not False
    capacity.wanted(params)
    where = "seg = ? AND hk = ?" + bounds.sql
    values: tuple[Any, ...] = (segment_hash(bounds.hash_key), bounds.hash_key, *bounds.params)
    columns = "rk" if index is None else "rk, bhk, brk"
    if start is not None:
        if start[1] != bounds.hash_key:
            raise ValidationException(
                "The provided starting key is outside query boundaries based on provided conditions"
            )
        where += f" AND ({columns}) {'>' if forward else '<'} ({', '.join('?' * len(start[2:]))})"
        values += tuple(start[2:])
    order = ", ".join(f"{c.strip()} {'ASC' if forward else 'DESC'}" for c in columns.split(","))
    rows = db.store.rows(table, index, where, values, order)
    decode = paths is not None or base_keys
    page = _read_page(rows, limit, condition, decode)
    return _respond(db, table, index, params, page, select, paths, base_keys)


def scan(db: Database, params: Params) -> dict[str, Any] | str:
    table = db.table(params.get("TableName"))
    index = _index(table, params)
    condition, paths, select, base_keys, expressions = _plan(table, index, params, "ScanFilter")
    expressions.finish()
    segment, total = _segments(params)
    limit = _limit(params)
    start = _start(table, index, params)
    capacity.wanted(params)
    low, high = segment * _SEGMENTS // total, (segment + 1) * _SEGMENTS // total
    where = "seg >= ? AND seg < ?"
    values: tuple[Any, ...] = (low, high)
    columns = "seg, hk, rk" if index is None else "seg, hk, rk, bhk, brk"
    if start is not None:
        where += f" AND ({columns}) > ({', '.join('?' * len(start))})"
        values += start
    rows = db.store.rows(table, index, where, values, columns)
    decode = paths is not None or base_keys
    page = _read_page(rows, limit, condition, decode)
    return _respond(db, table, index, params, page, select, paths, base_keys)


def _segments(params: Params) -> tuple[int, int]:
    segment, total = params.get("Segment"), params.get("TotalSegments")
    if segment is None and total is None:
        return 0, 1
    if total is None:
        raise ValidationException(
            "The TotalSegments parameter is required but was not present in the request when "
            "Segment parameter is present"
        )
    if segment is None:
        raise ValidationException(
            "The Segment parameter is required but was not present in the request when "
            "parameter TotalSegments is present"
        )
    if not 1 <= int(total) <= 1000000:
        raise ValidationException(
            f"1 validation error detected: Value '{total}' at 'totalSegments' failed to satisfy "
            "constraint: Member must have value less than or equal to 1000000"
        )
    if not 0 <= int(segment) < int(total):
        raise ValidationException(
            "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
            f"Segment: {segment} is not less than TotalSegments: {total}"
        )
    return int(segment), int(total)
