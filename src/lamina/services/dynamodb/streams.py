"""DynamoDB Streams: the stream catalog and the Streams API (ListStreams, DescribeStream,
GetShardIterator, GetRecords).

Each stream has one shard whose records are rows of ``stream_records`` (appended by
``Database.write`` in the write's own transaction), numbered by a global sequence. A stream
outlives the table's stream setting and the table itself, as DISABLED, until its records are
trimmed (24 hours, as on AWS). Shard iterators are opaque tokens naming the stream and the last
sequence number read; they expire after 15 minutes.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from lamina import fastjson
from lamina.clock import Clock
from lamina.services.dynamodb.errors import (
    ExpiredIteratorException,
    ResourceNotFoundException,
    ValidationException,
)
from lamina.services.dynamodb.schema import Table
from lamina.services.dynamodb.store import Store

Params = Mapping[str, Any]
SHARD_ID = "shardId-00000001000000000000-00000001"
RETENTION_S = 24 * 3600
ITERATOR_TTL_S = 15 * 60


def sequence_number(seq: int) -> str:
    return f"{seq:021d}"


class StreamCatalog:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def register(self, table: Table) -> None:
        """Record a newly enabled stream of ``table`` (inside the caller's transaction)."""
        assert table.stream_arn is not None
        definition = {
            "arn": table.stream_arn,
            "table": table.name,
            "label": table.stream_label,
            "view": table.stream_view,
            "keys": table.keys.describe(),
            "created": self.clock.wall(),
            "status": "ENABLED",
        }
        self.store.conn.execute(
            "INSERT OR REPLACE INTO streams VALUES (?, ?)",
            (table.stream_arn, fastjson.dumps_text(definition)),
        )

    def disable(self, table: Table) -> None:
        stream = self._find(table.stream_arn)
        if stream is not None:
            stream["status"] = "DISABLED"
            self.store.conn.execute(
                "UPDATE streams SET definition = ? WHERE arn = ?",
                (fastjson.dumps_text(stream), table.stream_arn),
            )

    def _find(self, arn: Any) -> dict[str, Any] | None:
        row = self.store.conn.execute(
            "SELECT definition FROM streams WHERE arn = ?", (arn,)
        ).fetchone()
        return None if row is None else dict(fastjson.loads(row[0]))

    def stream(self, arn: Any) -> dict[str, Any]:
        found = self._find(arn)
        if found is None:
            raise ResourceNotFoundException(
                f"Requested resource not found: Stream: {arn} not found"
            )
        return found

    def trim(self) -> None:
        """Forget records older than the retention period (and streams left with none)."""
        cutoff = self.clock.wall() - RETENTION_S
        with self.store.transaction():
            self.store.conn.execute("DELETE FROM stream_records WHERE created < ?", (cutoff,))

    # -- the Streams API ---------------------------------------------------------------------

    def list_streams(self, params: Params) -> dict[str, Any]:
        rows = self.store.conn.execute("SELECT definition FROM streams ORDER BY arn")
        streams = [fastjson.loads(d) for (d,) in rows]
        if params.get("TableName"):
            streams = [s for s in streams if s["table"] == params["TableName"]]
        start = params.get("ExclusiveStartStreamArn")
        if start:
            streams = [s for s in streams if s["arn"] > start]
        limit = int(params.get("Limit", 100))
        response: dict[str, Any] = {
            "Streams": [
                {"StreamArn": s["arn"], "TableName": s["table"], "StreamLabel": s["label"]}
                for s in streams[:limit]
            ]
        }
        if len(streams) > limit:
            response["LastEvaluatedStreamArn"] = streams[limit - 1]["arn"]
        return response

    def describe_stream(self, params: Params) -> dict[str, Any]:
        stream = self.stream(params.get("StreamArn"))
        first = self.store.conn.execute(
            "SELECT MIN(seq), MAX(seq) FROM stream_records WHERE arn = ?", (stream["arn"],)
        ).fetchone()
        numbers: dict[str, str] = {"StartingSequenceNumber": sequence_number(first[0] or 1)}
        if stream["status"] != "ENABLED":
            numbers["EndingSequenceNumber"] = sequence_number(first[1] or 1)
        return {
            "StreamDescription": {
                "StreamArn": stream["arn"],
                "StreamLabel": stream["label"],
                "StreamStatus": stream["status"],
                "StreamViewType": stream["view"],
                "CreationRequestDateTime": stream["created"],
                "TableName": stream["table"],
                "KeySchema": stream["keys"],
                "Shards": [{"ShardId": SHARD_ID, "SequenceNumberRange": numbers}],
            }
        }

    def get_shard_iterator(self, params: Params) -> dict[str, Any]:
        stream = self.stream(params.get("StreamArn"))
        if params.get("ShardId") != SHARD_ID:
            raise ResourceNotFoundException(
                f"Requested resource not found: Shard: {params.get('ShardId')} in Stream: "
                f"{stream['arn']} not found"
            )
        kind = params.get("ShardIteratorType")
        if kind == "TRIM_HORIZON":
            after = 0
        elif kind == "LATEST":
            row = self.store.conn.execute(
                "SELECT MAX(seq) FROM stream_records WHERE arn = ?", (stream["arn"],)
            ).fetchone()
            after = int(row[0] or 0)
        elif kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
            number = params.get("SequenceNumber")
            if not isinstance(number, str) or not number.isdigit():
                raise ValidationException(
                    f"Invalid SequenceNumber: {number} for ShardIteratorType: {kind}"
                )
            after = int(number) - (1 if kind == "AT_SEQUENCE_NUMBER" else 0)
        else:
            raise ValidationException(
                f"1 validation error detected: Value '{kind}' at 'shardIteratorType' failed to "
                "satisfy constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, "
                "LATEST, AT_SEQUENCE_NUMBER, TRIM_HORIZON]"
            )
        return {"ShardIterator": self._iterator(stream["arn"], after)}

    def _iterator(self, arn: str, after: int) -> str:
        token = fastjson.dumps([arn, after, self.clock.wall()])
        return base64.urlsafe_b64encode(token).decode("ascii")

    def get_records(self, params: Params) -> dict[str, Any]:
        try:
            arn, after, issued = fastjson.loads(base64.urlsafe_b64decode(params["ShardIterator"]))
        except (KeyError, ValueError, TypeError):
            raise ValidationException("Invalid ShardIterator") from None
        if self.clock.wall() - float(issued) > ITERATOR_TTL_S:
            raise ExpiredIteratorException("Iterator expired")
        stream = self.stream(arn)
        limit = int(params.get("Limit", 1000))
        if not 1 <= limit <= 1000:
            raise ValidationException(
                f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy "
                "constraint: Member must have value less than or equal to 1000"
            )
        rows = list(
            self.store.conn.execute(
                "SELECT seq, record FROM stream_records WHERE arn = ? AND seq > ? ORDER BY seq "
                "LIMIT ?",
                (arn, after, limit),
            )
        )
        records = []
        for seq, text in rows:
            record = fastjson.loads(text)
            record["dynamodb"]["SequenceNumber"] = sequence_number(seq)
            records.append(record)
        last = rows[-1][0] if rows else after
        response: dict[str, Any] = {"Records": records}
        if stream["status"] == "ENABLED" or rows:
            response["NextShardIterator"] = self._iterator(arn, last)
        return response
