"""The DynamoDB ``Service`` on Lamina's AWS endpoint.

Lifecycle (see ``services.api``): built with the state directory (the database is
``dynamodb.sqlite3`` there); ``deploy(stack)`` creates the template's tables that do not exist
yet (never dropping or changing one that does: its data is the user's) and starts the TTL
sweeper; ``handle`` answers requests; ``close()`` stops the sweeper and closes the database.

Operations run synchronously on the event loop, one at a time: each is a few SQLite statements,
cheaper than a hop to a thread, and it makes every operation atomic with respect to the others
without locks.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from lamina.clock import Clock, SystemClock
from lamina.model.specs import Stack
from lamina.model.tables import TableSpec
from lamina.net.messages import Request, Response
from lamina.services.dynamodb import (
    batch,
    items,
    partiql,
    protocol,
    reads,
    tables,
    tags,
    ttl,
)
from lamina.services.dynamodb.database import Database, Place
from lamina.services.dynamodb.errors import DynamoDBError
from lamina.services.dynamodb.store import Store
from lamina.services.dynamodb.transactions import Transactions

log = logging.getLogger("lamina.dynamodb")
Params = Mapping[str, Any]
DATABASE = "dynamodb.sqlite3"


class DynamoDBService:
    name = "dynamodb"

    def __init__(
        self,
        state_dir: Path,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        clock: Clock | None = None,
        sweep_interval_s: float = 1.0,
    ) -> None:
        self.clock = clock or SystemClock()
        self.store = Store(state_dir / DATABASE)
        self.db = Database(self.store, Place(region, account_id), self.clock)
        self.transactions = Transactions(self.db)
        self.sweep_interval_s = sweep_interval_s
        self._sweeper: asyncio.Task[None] | None = None
        self.operations = self._operations()
        self.apis = protocol.services(self.operations)

    def _operations(self) -> dict[str, protocol.Operation]:
        db = self.db
        bound: dict[str, Callable[[Database, Params], Any]] = {
            "CreateTable": tables.create_table,
            "DescribeTable": tables.describe_table,
            "ListTables": tables.list_tables,
            "DeleteTable": tables.delete_table,
            "UpdateTable": tables.update_table,
            "UpdateTimeToLive": ttl.update_time_to_live,
            "DescribeTimeToLive": ttl.describe_time_to_live,
            "TagResource": tags.tag_resource,
            "UntagResource": tags.untag_resource,
            "ListTagsOfResource": tags.list_tags_of_resource,
            "PutItem": items.put_item,
            "GetItem": items.get_item,
            "UpdateItem": items.update_item,
            "DeleteItem": items.delete_item,
            "Query": reads.query,
            "Scan": reads.scan,
            "BatchGetItem": batch.batch_get_item,
            "BatchWriteItem": batch.batch_write_item,
            "ExecuteStatement": partiql.execute_statement,
        }
        operations: dict[str, protocol.Operation] = {
            name: functools.partial(op, db) for name, op in bound.items()
        }
        streams = db.streams
        operations.update(
            {
                "TransactWriteItems": self.transactions.write,
                "TransactGetItems": self.transactions.get,
                "ListStreams": streams.list_streams,
                "DescribeStream": streams.describe_stream,
                "GetShardIterator": streams.get_shard_iterator,
                "GetRecords": streams.get_records,
                "DescribeEndpoints": self._describe_endpoints,
                "DescribeLimits": _describe_limits,
                "DescribeContinuousBackups": self._describe_backups,
            }
        )
        return operations

    # -- Service -----------------------------------------------------------------------------

    def matches(self, request: Request) -> bool:
        return protocol.target(request) is not None

    async def handle(self, request: Request) -> Response:
        return protocol.handle(request, self.apis)

    def handle_sync(self, request: Request) -> Response:
        return protocol.handle(request, self.apis)

    async def deploy(self, stack: Stack) -> None:
        for spec in stack.tables.values():
            if spec.name in self.store.tables:
                continue
            try:
                tables.create_table(self.db, create_params(spec))
                if spec.ttl_attribute:
                    ttl.update_time_to_live(
                        self.db,
                        {
                            "TableName": spec.name,
                            "TimeToLiveSpecification": {
                                "Enabled": True,
                                "AttributeName": spec.ttl_attribute,
                            },
                        },
                    )
            except DynamoDBError as exc:
                log.warning("table %s (%s) not created: %s", spec.logical_id, spec.name, exc)
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep())

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        self.store.close()

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_interval_s)
            try:
                ttl.sweep(self.db)
                self.db.streams.trim()
            except Exception:
                log.exception("TTL sweep failed")

    # -- small operations --------------------------------------------------------------------

    def _describe_endpoints(self, params: Params) -> dict[str, Any]:
        return {"Endpoints": [{"Address": "localhost", "CachePeriodInMinutes": 1440}]}

    def _describe_backups(self, params: Params) -> dict[str, Any]:
        self.db.table(params.get("TableName"), named=True)
        return {
            "ContinuousBackupsDescription": {
                "ContinuousBackupsStatus": "ENABLED",
                "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"},
            }
        }


def _describe_limits(params: Params) -> dict[str, Any]:
    return {
        "AccountMaxReadCapacityUnits": 80000,
        "AccountMaxWriteCapacityUnits": 80000,
        "TableMaxReadCapacityUnits": 40000,
        "TableMaxWriteCapacityUnits": 40000,
    }


def create_params(spec: TableSpec) -> dict[str, Any]:
    """The CreateTable request a template's table amounts to."""
    attributes = {spec.hash.name: spec.hash.type}
    schema = [{"AttributeName": spec.hash.name, "KeyType": "HASH"}]
    if spec.range is not None:
        attributes[spec.range.name] = spec.range.type
        schema.append({"AttributeName": spec.range.name, "KeyType": "RANGE"})
    params: dict[str, Any] = {
        "TableName": spec.name,
        "KeySchema": schema,
        "BillingMode": spec.billing_mode,
        "DeletionProtectionEnabled": spec.deletion_protection,
    }
    if spec.billing_mode == "PROVISIONED":
        params["ProvisionedThroughput"] = {
            "ReadCapacityUnits": spec.read_capacity or 5,
            "WriteCapacityUnits": spec.write_capacity or 5,
        }
    for kind, field in (("GSI", "GlobalSecondaryIndexes"), ("LSI", "LocalSecondaryIndexes")):
        entries = []
        for index in spec.indexes:
            if index.kind != kind:
                continue
            keys = [{"AttributeName": index.hash.name, "KeyType": "HASH"}]
            attributes[index.hash.name] = index.hash.type
            if index.range is not None:
                keys.append({"AttributeName": index.range.name, "KeyType": "RANGE"})
                attributes[index.range.name] = index.range.type
            projection: dict[str, Any] = {"ProjectionType": index.projection_type}
            if index.non_key_attributes:
                projection["NonKeyAttributes"] = list(index.non_key_attributes)
            entry: dict[str, Any] = {
                "IndexName": index.name,
                "KeySchema": keys,
                "Projection": projection,
            }
            if kind == "GSI" and spec.billing_mode == "PROVISIONED":
                entry["ProvisionedThroughput"] = {
                    "ReadCapacityUnits": index.read_capacity or 5,
                    "WriteCapacityUnits": index.write_capacity or 5,
                }
            entries.append(entry)
        if entries:
            params[field] = entries
    params["AttributeDefinitions"] = [
        {"AttributeName": n, "AttributeType": t} for n, t in attributes.items()
    ]
    if spec.stream_view_type:
        params["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": spec.stream_view_type,
        }
    if spec.tags:
        params["Tags"] = [{"Key": k, "Value": v} for k, v in spec.tags.items()]
    return params
