"""The DynamoDB ``Service`` on Lamina's AWS endpoint.

Lifecycle (see ``services.api``): built with the state directory (the database is
``dynamodb.sqlite3`` there); ``deploy(stack)`` creates the template's tables that do not exist
yet and updates those that do as far as DynamoDB can without losing items (``deployment``:
what it cannot change is logged as a warning, a table is never dropped), then starts the TTL
sweeper; ``handle`` answers requests; ``close()`` stops the sweeper and closes the database.

Operations run synchronously on the event loop, one at a time: each is a few SQLite statements,
cheaper than a hop to a thread, and it makes every operation atomic with respect to the others
without locks. A request bigger than ``OFF_LOOP_BYTES`` (a BatchWriteItem or a transaction of
several megabytes: parsing and writing it takes tens of milliseconds) runs on the service's
own thread instead, so it cannot stall every other client; while it runs, the store is its
alone: requests that come meanwhile wait for it (``_exclusive``) and the TTL sweep skips a
turn, so operations stay one at a time.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from lamina.clock import Clock, SystemClock
from lamina.model.specs import Stack
from lamina.net.messages import Request, Response
from lamina.services.dynamodb import (
    batch,
    deployment,
    items,
    partiql,
    protocol,
    reads,
    tables,
    tags,
    ttl,
)
from lamina.services.dynamodb.database import Database, Place
from lamina.services.dynamodb.store import Store
from lamina.services.dynamodb.transactions import Transactions

log = logging.getLogger("lamina.dynamodb")
Params = Mapping[str, Any]
DATABASE = "dynamodb.sqlite3"
# Requests above this size run off the event loop (PutItem's items stop at 400 KB: only batches
# and transactions get there).
OFF_LOOP_BYTES = 1 << 20


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
        # The big request running on the thread, while one does (the store is its alone).
        self._exclusive: asyncio.Future[Response] | None = None
        self._thread: concurrent.futures.ThreadPoolExecutor | None = None
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
        while self._exclusive is not None:
            # A big request holds the store: wait for it, whatever it answers.
            await asyncio.wait([self._exclusive])
        if len(request.body) <= OFF_LOOP_BYTES:
            return protocol.handle(request, self.apis)
        if self._thread is None:
            self._thread = concurrent.futures.ThreadPoolExecutor(1, "lamina-dynamodb")
        loop = asyncio.get_running_loop()
        # Resolved when the thread is done with the store, whatever becomes of this request's
        # task (a client that hangs up must not free the store while the thread still writes).
        finished: asyncio.Future[Response] = loop.create_future()
        self._exclusive = finished

        def done(work: concurrent.futures.Future[Response]) -> None:
            if self._exclusive is finished:
                self._exclusive = None
            error = work.exception()
            if error is not None:
                finished.set_exception(error)
            else:
                finished.set_result(work.result())

        work = self._thread.submit(protocol.handle, request, self.apis)
        work.add_done_callback(lambda w: loop.call_soon_threadsafe(done, w))
        return await asyncio.shield(finished)

    def handle_sync(self, request: Request) -> Response:
        return protocol.handle(request, self.apis)

    async def deploy(self, stack: Stack) -> None:
        for spec in stack.tables.values():
            changed, warnings = deployment.deploy(self.db, spec)
            for line in changed:
                log.info("%s", line)
            for line in warnings:
                log.warning("%s", line)
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep())

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        if self._thread is not None:
            self._thread.shutdown(wait=True)  # a big request in flight finishes first
        self.store.close()

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_interval_s)
            if self._exclusive is not None:
                continue  # a big request holds the store: next turn
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
