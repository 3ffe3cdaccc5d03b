"""Kinesis Data Streams' operations: one handler each, members in and out as botocore's model
names them (``ModelService`` parses and serialises).

Streams are named by ``StreamName`` or ``StreamARN`` in every operation that takes either.
A stream is ``ACTIVE`` as soon as CreateStream answers (AWS takes seconds; waiters see it at
once). ``ON_DEMAND`` streams start with 4 shards, as AWS's do. PutRecords never fails a single
record: the per-record failures AWS reports are throughput and internal ones, which Lamina does
not have; a malformed request fails whole, as on AWS. Records past the stream's retention period
are not read and are deleted by the service's sweeper. UpdateShardCount replaces every open
shard with ``TargetShardCount`` even ones at once (AWS gets there by splits and merges); each
new shard names at most the two old ones it overlaps first as its parents.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from lamina.clock import SYSTEM, Clock
from lamina.model import arns
from lamina.services.kinesis import errors
from lamina.services.kinesis.errors import InvalidArgumentException
from lamina.services.kinesis.models import (
    DEFAULT_RETENTION_HOURS,
    HASH_SPACE,
    ITERATOR_TTL_S,
    MAX_RETENTION_HOURS,
    ON_DEMAND_SHARDS,
    Iterator,
    Shard,
    Stream,
    even_shards,
    hash_key,
    read_iterator,
    read_sequence,
    sequence_number,
    shard_id,
    shard_index,
)
from lamina.services.kinesis.store import Store

Params = dict[str, Any]
MAX_SHARDS = 500
MAX_GET_LIMIT = 10_000
# GetRecords answers at most this much data per call, as AWS does.
MAX_GET_BYTES = 10 * 1024 * 1024
MAX_TAGS = 50
# PutRecords' quota on a whole request (data and partition keys).
MAX_PUT_RECORDS_BYTES = 5 * 1024 * 1024
_ITERATOR_TYPES = (
    "AT_SEQUENCE_NUMBER",
    "AFTER_SEQUENCE_NUMBER",
    "TRIM_HORIZON",
    "LATEST",
    "AT_TIMESTAMP",
)


class Streams:
    def __init__(self, store: Store, region: str, account_id: str, clock: Clock = SYSTEM) -> None:
        self.store = store
        self.region = region
        self.account_id = account_id
        self.clock = clock

    def operations(self) -> dict[str, Callable[[Params], Any]]:
        return {
            "CreateStream": self.create_stream,
            "DeleteStream": self.delete_stream,
            "DescribeStream": self.describe_stream,
            "DescribeStreamSummary": self.describe_stream_summary,
            "ListStreams": self.list_streams,
            "ListShards": self.list_shards,
            "PutRecord": self.put_record,
            "PutRecords": self.put_records,
            "GetShardIterator": self.get_shard_iterator,
            "GetRecords": self.get_records,
            "IncreaseStreamRetentionPeriod": self.increase_retention,
            "DecreaseStreamRetentionPeriod": self.decrease_retention,
            "AddTagsToStream": self.add_tags_to_stream,
            "ListTagsForStream": self.list_tags_for_stream,
            "RemoveTagsFromStream": self.remove_tags_from_stream,
            "TagResource": self.tag_resource,
            "UntagResource": self.untag_resource,
            "ListTagsForResource": self.list_tags_for_resource,
            "StartStreamEncryption": self.start_encryption,
            "StopStreamEncryption": self.stop_encryption,
            "SplitShard": self.split_shard,
            "MergeShards": self.merge_shards,
            "UpdateShardCount": self.update_shard_count,
            "DescribeLimits": self.describe_limits,
            "UpdateStreamMode": self.update_stream_mode,
        }

    # -- streams --------------------------------------------------------------------------

    def arn(self, name: str) -> str:
        return arns.arn("kinesis", self.region, self.account_id, f"stream/{name}")

    def create(
        self,
        name: str,
        shard_count: int | None,
        mode: str = "PROVISIONED",
        tags: dict[str, str] | None = None,
        retention_hours: int = DEFAULT_RETENTION_HOURS,
    ) -> Stream:
        """A new stream (CreateStream, and a template's streams)."""
        if mode == "ON_DEMAND":
            shard_count = ON_DEMAND_SHARDS
        elif shard_count is None:
            raise InvalidArgumentException("ShardCount is required for PROVISIONED streams.")
        if not 1 <= shard_count <= MAX_SHARDS:
            raise errors.LimitExceededException(
                f"This request would exceed the shard limit for the account {self.account_id} "
                f"in {self.region}. Current limit on shards is {MAX_SHARDS}."
            )
        with self.store.lock:
            if name in self.store.streams:
                raise errors.stream_exists(name, self.account_id)
            stream = Stream(
                name,
                self.arn(name),
                self.clock.wall(),
                even_shards(shard_count, self.store.last_position()),
                mode=mode,
                retention_hours=retention_hours,
                tags=dict(tags or {}),
            )
            self.store.save(stream)
        return stream

    def create_stream(self, params: Params) -> None:
        details = params.get("StreamModeDetails") or {}
        tags = params.get("Tags") or {}
        if len(tags) > MAX_TAGS:
            raise InvalidArgumentException(f"A stream cannot have more than {MAX_TAGS} tags.")
        self.create(
            params["StreamName"],
            params.get("ShardCount"),
            details.get("StreamMode", "PROVISIONED"),
            tags,
        )

    def stream(self, params: Params) -> Stream:
        """The stream a request names by ``StreamName`` or ``StreamARN``."""
        name = params.get("StreamName")
        given = params.get("StreamARN")
        if name is None and given is not None:
            found = arns.parse(given)
            if found is None or found.service != "kinesis" or "stream/" not in found.resource:
                raise InvalidArgumentException(f"Invalid StreamARN: {given}")
            name = found.resource.split("/", 2)[1]
        if name is None:
            raise InvalidArgumentException("Either StreamName or StreamARN should be provided.")
        stream = self.store.streams.get(name)
        if stream is None or (given is not None and stream.arn != given):
            raise errors.no_stream(name, self.account_id)
        return stream

    def delete_stream(self, params: Params) -> None:
        with self.store.lock:
            stream = self.stream(params)
            self.store.delete(stream.name)

    def describe_stream(self, params: Params) -> dict[str, Any]:
        stream = self.stream(params)
        shards = stream.shards
        start = params.get("ExclusiveStartShardId")
        if start is not None:
            shards = [s for s in shards if s.id > start]
        limit = params.get("Limit") or 100
        return {
            "StreamDescription": {
                **self._summary(stream),
                "Shards": [self._shard(stream, s) for s in shards[:limit]],
                "HasMoreShards": len(shards) > limit,
            }
        }

    def _summary(self, stream: Stream) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "StreamName": stream.name,
            "StreamARN": stream.arn,
            "StreamStatus": "ACTIVE",
            "StreamModeDetails": {"StreamMode": stream.mode},
            "RetentionPeriodHours": stream.retention_hours,
            "StreamCreationTimestamp": stream.created,
            "EnhancedMonitoring": [{"ShardLevelMetrics": []}],
            "EncryptionType": stream.encryption,
        }
        if stream.key_id:
            summary["KeyId"] = stream.key_id
        return summary

    def describe_stream_summary(self, params: Params) -> dict[str, Any]:
        stream = self.stream(params)
        return {
            "StreamDescriptionSummary": {
                **self._summary(stream),
                "OpenShardCount": len(stream.open_shards),
                "ConsumerCount": 0,
            }
        }

    def _shard(self, stream: Stream, shard: Shard) -> dict[str, Any]:
        numbers = {
            "StartingSequenceNumber": sequence_number(
                stream.created, shard.index, shard.opened_after + 1
            )
        }
        if shard.closed_at is not None:
            numbers["EndingSequenceNumber"] = sequence_number(
                stream.created, shard.index, max(shard.closed_at, shard.opened_after + 1)
            )
        found: dict[str, Any] = {
            "ShardId": shard.id,
            "HashKeyRange": {
                "StartingHashKey": str(shard.start_hash),
                "EndingHashKey": str(shard.end_hash),
            },
            "SequenceNumberRange": numbers,
        }
        if shard.parent is not None:
            found["ParentShardId"] = shard_id(shard.parent)
        if shard.adjacent_parent is not None:
            found["AdjacentParentShardId"] = shard_id(shard.adjacent_parent)
        return found

    def list_streams(self, params: Params) -> dict[str, Any]:
        names = sorted(self.store.streams)
        start = params.get("NextToken") or params.get("ExclusiveStartStreamName")
        if start is not None:
            names = [n for n in names if n > start]
        limit = params.get("Limit") or 100
        page, more = names[:limit], len(names) > limit
        streams = [self.store.streams[n] for n in page if n in self.store.streams]
        answer: dict[str, Any] = {
            "StreamNames": [s.name for s in streams],
            "HasMoreStreams": more,
            "StreamSummaries": [
                {
                    "StreamName": s.name,
                    "StreamARN": s.arn,
                    "StreamStatus": "ACTIVE",
                    "StreamModeDetails": {"StreamMode": s.mode},
                    "StreamCreationTimestamp": s.created,
                }
                for s in streams
            ],
        }
        if more and page:
            answer["NextToken"] = page[-1]
        return answer

    def list_shards(self, params: Params) -> dict[str, Any]:
        token = params.get("NextToken")
        if token is not None:
            if params.get("StreamName") or params.get("StreamARN"):
                raise InvalidArgumentException(
                    "NextToken and StreamName cannot be provided together."
                )
            name, _, start = str(token).partition("|")
            stream = self.stream({"StreamName": name})
        else:
            stream = self.stream(params)
            start = params.get("ExclusiveStartShardId") or ""
        shards = [s for s in stream.shards if s.id > start]
        kind = (params.get("ShardFilter") or {}).get("Type")
        if kind == "AT_LATEST":
            shards = [s for s in shards if s.open]
        limit = params.get("MaxResults") or 1000
        answer: dict[str, Any] = {"Shards": [self._shard(stream, s) for s in shards[:limit]]}
        if len(shards) > limit:
            answer["NextToken"] = f"{stream.name}|{shards[limit - 1].id}"
        return answer

    # -- records ----------------------------------------------------------------------------

    def _hash(self, record: Params) -> int:
        explicit = record.get("ExplicitHashKey")
        if explicit is None:
            return hash_key(record["PartitionKey"])
        value = int(explicit) if str(explicit).isdigit() else -1
        if not 0 <= value < HASH_SPACE:
            raise InvalidArgumentException(
                "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
                f"Specified value was {explicit}"
            )
        return value

    def _put(self, params: Params, records: list[Params]) -> tuple[Stream, list[tuple[Shard, int]]]:
        keys = [self._hash(r) for r in records]
        # Arrival times in milliseconds, as Kinesis keeps them: a timestamp read back from a
        # record and given to AT_TIMESTAMP then names that record exactly.
        now = round(self.clock.wall(), 3)
        with self.store.lock:
            stream = self.stream(params)
            shards = [stream.route(k) for k in keys]
            positions = self.store.put(
                stream.name,
                [
                    (shard.index, r["PartitionKey"], bytes(r["Data"]), now)
                    for shard, r in zip(shards, records, strict=True)
                ],
            )
        return stream, list(zip(shards, positions, strict=True))

    def put_record(self, params: Params) -> dict[str, Any]:
        stream, [(shard, position)] = self._put(params, [params])
        return {
            "ShardId": shard.id,
            "SequenceNumber": sequence_number(stream.created, shard.index, position),
            "EncryptionType": stream.encryption,
        }

    def put_records(self, params: Params) -> dict[str, Any]:
        size = sum(len(r["Data"]) + len(r["PartitionKey"].encode()) for r in params["Records"])
        if size > MAX_PUT_RECORDS_BYTES:
            raise InvalidArgumentException(
                f"Records size exceeds {MAX_PUT_RECORDS_BYTES // (1024 * 1024)} MB limit"
            )
        stream, placed = self._put(params, params["Records"])
        return {
            "FailedRecordCount": 0,
            "Records": [
                {
                    "SequenceNumber": sequence_number(stream.created, shard.index, position),
                    "ShardId": shard.id,
                }
                for shard, position in placed
            ],
            "EncryptionType": stream.encryption,
        }

    def get_shard_iterator(self, params: Params) -> dict[str, Any]:
        stream = self.stream(params)
        given = params["ShardId"]
        index = shard_index(given)
        shard = stream.shard(index) if index is not None else None
        if shard is None:
            raise errors.no_shard(given, stream.name, self.account_id)
        kind = params["ShardIteratorType"]
        after = self._start(stream, shard, kind, params)
        iterator = Iterator(stream.name, stream.created, shard.index, after, self.clock.wall())
        return {"ShardIterator": iterator.token()}

    def _start(self, stream: Stream, shard: Shard, kind: str, params: Params) -> int:
        """The position an iterator of ``kind`` reads after."""
        if kind == "TRIM_HORIZON":
            return shard.opened_after
        if kind == "LATEST":
            return shard.closed_at if shard.closed_at is not None else self.store.last_position()
        if kind == "AT_TIMESTAMP":
            moment = params.get("Timestamp")
            if not isinstance(moment, dt.datetime):
                raise InvalidArgumentException(
                    "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. "
                    "Current request has no timestamp parameter."
                )
            at = round(moment.timestamp(), 3)  # (milliseconds, as arrivals are kept)
            found = self.store.before_time(stream.name, shard.index, at)
            if found is not None:
                return found
            return self._start(stream, shard, "LATEST", params)
        if kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
            text = params.get("StartingSequenceNumber")
            if text is None:
                raise InvalidArgumentException(
                    f"Must specify startingSequenceNumber for iterator of type {kind}. "
                    "Current request has no startingSequenceNumber parameter."
                )
            found_seq = read_sequence(text)
            if found_seq is None:
                raise InvalidArgumentException(
                    f"StartingSequenceNumber {text} used in GetShardIterator on shard "
                    f"{shard.id} in stream {stream.name} under account {self.account_id} "
                    "is invalid."
                )
            index, position = found_seq
            if index != shard.index:
                raise InvalidArgumentException(
                    f"Invalid StartingSequenceNumber. It encodes {shard_id(index)}, while it "
                    f"was used in a call to a shard with {shard.id}"
                )
            return position - 1 if kind == "AT_SEQUENCE_NUMBER" else position
        raise InvalidArgumentException(
            f"Must specify one of {', '.join(_ITERATOR_TYPES)} for ShardIteratorType."
        )

    def get_records(self, params: Params) -> dict[str, Any]:
        token = params["ShardIterator"]
        iterator = read_iterator(token)
        if iterator is None:
            raise InvalidArgumentException("Invalid ShardIterator.")
        now = self.clock.wall()
        if now - iterator.issued > ITERATOR_TTL_S:
            raise errors.ExpiredIteratorException(
                f"Iterator expired. The iterator was created at time {_when(iterator.issued)} "
                f"while right now it is {_when(now)} which is further in the future than the "
                f"tolerated delay of {int(ITERATOR_TTL_S * 1000)} milliseconds."
            )
        stream = self.store.streams.get(iterator.stream)
        if stream is None or stream.created != iterator.created:
            raise errors.no_stream(iterator.stream, self.account_id)
        shard = stream.shard(iterator.shard)
        if shard is None:
            raise errors.no_shard(shard_id(iterator.shard), stream.name, self.account_id)
        limit = params.get("Limit") or MAX_GET_LIMIT
        since = now - stream.retention_hours * 3600
        rows = self.store.read(stream.name, shard.index, iterator.after, limit + 1, since)
        records: list[dict[str, Any]] = []
        size, after = 0, iterator.after
        for position, key, data, arrival in rows[:limit]:
            size += len(data) + len(key)
            if records and size > MAX_GET_BYTES:
                break
            record: dict[str, Any] = {
                "SequenceNumber": sequence_number(stream.created, shard.index, position),
                "ApproximateArrivalTimestamp": arrival,
                "Data": data,
                "PartitionKey": key,
            }
            if stream.encryption != "NONE":
                record["EncryptionType"] = stream.encryption
            records.append(record)
            after = position
        unread = rows[len(records)] if len(rows) > len(records) else None
        behind = 0 if unread is None else max(0, int((now - unread[3]) * 1000))
        answer: dict[str, Any] = {"Records": records, "MillisBehindLatest": behind}
        if shard.closed_at is not None and unread is None:
            answer["ChildShards"] = [
                {
                    "ShardId": child.id,
                    "ParentShards": [
                        shard_id(p) for p in (child.parent, child.adjacent_parent) if p is not None
                    ],
                    "HashKeyRange": {
                        "StartingHashKey": str(child.start_hash),
                        "EndingHashKey": str(child.end_hash),
                    },
                }
                for child in stream.shards
                if shard.index in (child.parent, child.adjacent_parent)
            ]
        else:
            answer["NextShardIterator"] = Iterator(
                stream.name, stream.created, shard.index, after, now
            ).token()
        return answer

    # -- retention, tags, encryption ---------------------------------------------------------

    def _retention(self, params: Params, increase: bool) -> None:
        hours = params["RetentionPeriodHours"]
        if hours < DEFAULT_RETENTION_HOURS:
            raise InvalidArgumentException(
                f"Minimum allowed retention period is {DEFAULT_RETENTION_HOURS} hours. "
                f"Requested retention period ({hours} hours) is too short."
            )
        if hours > MAX_RETENTION_HOURS:
            raise InvalidArgumentException(
                f"Maximum allowed retention period is {MAX_RETENTION_HOURS} hours. "
                f"Requested retention period ({hours} hours) is too long."
            )
        with self.store.lock:
            stream = self.stream(params)
            current = stream.retention_hours
            if increase and hours < current:
                raise InvalidArgumentException(
                    f"Requested retention period ({hours} hours) for stream {stream.name} can "
                    f"not be shorter than existing retention period ({current} hours). Use "
                    "DecreaseRetentionPeriod API."
                )
            if not increase and hours > current:
                raise InvalidArgumentException(
                    f"Requested retention period ({hours} hours) for stream {stream.name} can "
                    f"not be longer than existing retention period ({current} hours). Use "
                    "IncreaseRetentionPeriod API."
                )
            stream.retention_hours = hours
            self.store.save(stream)

    def increase_retention(self, params: Params) -> None:
        self._retention(params, increase=True)

    def decrease_retention(self, params: Params) -> None:
        self._retention(params, increase=False)

    def _tag(self, stream: Stream, tags: dict[str, str]) -> None:
        merged = {**stream.tags, **tags}
        if len(merged) > MAX_TAGS:
            raise InvalidArgumentException(
                f"Failed to add tags to stream {stream.name} under account {self.account_id} "
                f"because a given stream cannot have more than {MAX_TAGS} tags associated with it."
            )
        stream.tags = merged
        self.store.save(stream)

    def _untag(self, stream: Stream, keys: list[str]) -> None:
        stream.tags = {k: v for k, v in stream.tags.items() if k not in keys}
        self.store.save(stream)

    def add_tags_to_stream(self, params: Params) -> None:
        with self.store.lock:
            self._tag(self.stream(params), params["Tags"])

    def remove_tags_from_stream(self, params: Params) -> None:
        with self.store.lock:
            self._untag(self.stream(params), params["TagKeys"])

    def list_tags_for_stream(self, params: Params) -> dict[str, Any]:
        stream = self.stream(params)
        keys = sorted(stream.tags)
        start = params.get("ExclusiveStartTagKey")
        if start is not None:
            keys = [k for k in keys if k > start]
        limit = params.get("Limit") or MAX_TAGS
        return {
            "Tags": [{"Key": k, "Value": stream.tags[k]} for k in keys[:limit]],
            "HasMoreTags": len(keys) > limit,
        }

    def _by_resource(self, params: Params) -> Stream:
        return self.stream({"StreamARN": params["ResourceARN"]})

    def tag_resource(self, params: Params) -> None:
        with self.store.lock:
            self._tag(self._by_resource(params), params["Tags"])

    def untag_resource(self, params: Params) -> None:
        with self.store.lock:
            self._untag(self._by_resource(params), params["TagKeys"])

    def list_tags_for_resource(self, params: Params) -> dict[str, Any]:
        stream = self._by_resource(params)
        return {"Tags": [{"Key": k, "Value": stream.tags[k]} for k in sorted(stream.tags)]}

    def start_encryption(self, params: Params) -> None:
        with self.store.lock:
            stream = self.stream(params)
            stream.encryption, stream.key_id = params["EncryptionType"], params["KeyId"]
            self.store.save(stream)

    def stop_encryption(self, params: Params) -> None:
        with self.store.lock:
            stream = self.stream(params)
            stream.encryption, stream.key_id = "NONE", None
            self.store.save(stream)

    # -- resharding ------------------------------------------------------------------------------

    def _open_shard(self, stream: Stream, given: str, member: str) -> Shard:
        index = shard_index(given)
        shard = stream.shard(index) if index is not None else None
        if shard is None:
            raise errors.no_shard(given, stream.name, self.account_id)
        if not shard.open:
            raise errors.ResourceInUseException(
                f"Shard {shard.id} in stream {stream.name} under account {self.account_id} has "
                f"already been merged or split, and thus is not eligible for {member}."
            )
        return shard

    def split_shard(self, params: Params) -> None:
        with self.store.lock:
            stream = self.stream(params)
            parent = self._open_shard(stream, params["ShardToSplit"], "splitting")
            text = params["NewStartingHashKey"]
            key = int(text) if str(text).isdigit() else -1
            if not parent.start_hash < key <= parent.end_hash:
                raise InvalidArgumentException(
                    f"NewStartingHashKey {text} used in SplitShard() on shard {parent.id} in "
                    f"stream {stream.name} under account {self.account_id} is not both greater "
                    "than one plus the shard's StartingHashKey "
                    f"{parent.start_hash} and less than the shard's EndingHashKey "
                    f"{parent.end_hash}."
                )
            at = self.store.last_position()
            first = stream.next_index()
            stream.close(parent.index, at)
            stream.shards += [
                Shard(first, parent.start_hash, key - 1, at, parent=parent.index),
                Shard(first + 1, key, parent.end_hash, at, parent=parent.index),
            ]
            self.store.save(stream)

    def merge_shards(self, params: Params) -> None:
        with self.store.lock:
            stream = self.stream(params)
            one = self._open_shard(stream, params["ShardToMerge"], "merging")
            other = self._open_shard(stream, params["AdjacentShardToMerge"], "merging")
            low, high = sorted((one, other), key=lambda s: s.start_hash)
            if low.end_hash + 1 != high.start_hash:
                raise InvalidArgumentException(
                    f"Shards {one.id} and {other.id} in stream {stream.name} under account "
                    f"{self.account_id} are not an adjacent pair of shards eligible for merging"
                )
            at = self.store.last_position()
            stream.close(one.index, at)
            stream.close(other.index, at)
            stream.shards.append(
                Shard(
                    stream.next_index(),
                    low.start_hash,
                    high.end_hash,
                    at,
                    parent=one.index,
                    adjacent_parent=other.index,
                )
            )
            self.store.save(stream)

    def update_shard_count(self, params: Params) -> dict[str, Any]:
        target = params["TargetShardCount"]
        with self.store.lock:
            stream = self.stream(params)
            old = stream.open_shards
            if not 1 <= target <= min(MAX_SHARDS, 2 * len(old)) or target * 2 < len(old):
                raise InvalidArgumentException(
                    f"TargetShardCount {target} must be between half and double the current "
                    f"open shard count {len(old)} (and at most {MAX_SHARDS})."
                )
            at = self.store.last_position()
            new = []
            for shard in even_shards(target, at, stream.next_index()):
                parents = [
                    s.index
                    for s in old
                    if s.start_hash <= shard.end_hash and shard.start_hash <= s.end_hash
                ]
                new.append(
                    Shard(
                        shard.index,
                        shard.start_hash,
                        shard.end_hash,
                        at,
                        parent=parents[0],
                        adjacent_parent=parents[1] if len(parents) > 1 else None,
                    )
                )
            for shard in old:
                stream.close(shard.index, at)
            stream.shards += new
            self.store.save(stream)
        return {
            "StreamName": stream.name,
            "StreamARN": stream.arn,
            "CurrentShardCount": len(old),
            "TargetShardCount": target,
        }

    def update_stream_mode(self, params: Params) -> None:
        """ON_DEMAND <-> PROVISIONED; the shards stay as they are (AWS keeps them too)."""
        with self.store.lock:
            stream = self.stream({"StreamARN": params["StreamARN"]})
            stream.mode = params["StreamModeDetails"]["StreamMode"]
            self.store.save(stream)

    def describe_limits(self, params: Params) -> dict[str, Any]:
        used = sum(len(s.open_shards) for s in self.store.streams.values())
        on_demand = sum(1 for s in self.store.streams.values() if s.mode == "ON_DEMAND")
        return {
            "ShardLimit": MAX_SHARDS,
            "OpenShardCount": used,
            "OnDemandStreamCount": on_demand,
            "OnDemandStreamCountLimit": 50,
        }

    def trim(self) -> int:
        return self.store.trim(self.clock.wall())


def _when(moment: float) -> str:
    return dt.datetime.fromtimestamp(moment, dt.UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
