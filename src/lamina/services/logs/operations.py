"""CloudWatch Logs' operations on the log store: one function per operation, members in, members
out, errors worded as CloudWatch Logs words them. Pagination tokens are positions, opaque to
clients as AWS's are."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

from lamina.clock import SYSTEM, Clock
from lamina.observe.api import MAX_EVENT_BYTES, LogEvent
from lamina.observe.filterpattern import FilterPatternError, compile_pattern
from lamina.observe.store import LogStore, StoredEvent
from lamina.services.logs.errors import (
    InvalidParameterException,
    ResourceAlreadyExistsException,
    no_group,
    no_stream,
)

Params = dict[str, Any]
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                  2192, 2557, 2922, 3288, 3653)  # fmt: skip
# PutLogEvents' quotas.
MAX_BATCH_BYTES = 1_048_576
MAX_BATCH_EVENTS = 10_000
_EVENT_OVERHEAD = 26
_TOO_OLD_MS = 14 * 86_400_000
_TOO_NEW_MS = 2 * 3_600_000


class Logs:
    def __init__(
        self, store: LogStore, region: str, account_id: str, clock: Clock = SYSTEM
    ) -> None:
        self.clock = clock
        self.store = store
        self.region = region
        self.account_id = account_id

    def operations(self) -> dict[str, Callable[[Params], Params]]:
        return {
            "CreateLogGroup": self.create_log_group,
            "CreateLogStream": self.create_log_stream,
            "DeleteLogGroup": self.delete_log_group,
            "DeleteLogStream": self.delete_log_stream,
            "DescribeLogGroups": self.describe_log_groups,
            "DescribeLogStreams": self.describe_log_streams,
            "GetLogEvents": self.get_log_events,
            "FilterLogEvents": self.filter_log_events,
            "PutLogEvents": self.put_log_events,
            "PutRetentionPolicy": self.put_retention_policy,
            "DeleteRetentionPolicy": self.delete_retention_policy,
        }

    # -- helpers ---------------------------------------------------------------------------

    def _arn(self, group: str) -> str:
        return f"arn:aws:logs:{self.region}:{self.account_id}:log-group:{group}"

    def _group(self, params: Params) -> str:
        group = params.get("logGroupName") or params.get("logGroupIdentifier")
        if not isinstance(group, str) or not group:
            raise InvalidParameterException("Either logGroupName or logGroupIdentifier is required")
        if group.startswith("arn:"):
            group = group.split(":log-group:", 1)[-1].removesuffix(":*")
        if not self.store.has_group(group):
            raise no_group()
        return group

    # -- groups and streams ----------------------------------------------------------------

    def create_log_group(self, params: Params) -> Params:
        name = params["logGroupName"]
        try:
            self.store.create_group(name)
        except FileExistsError:
            raise ResourceAlreadyExistsException("The specified log group already exists") from None
        return {}

    def create_log_stream(self, params: Params) -> Params:
        group = self._group(params)
        if not self.store.create_stream(group, params["logStreamName"]):
            raise ResourceAlreadyExistsException("The specified log stream already exists")
        return {}

    def delete_log_group(self, params: Params) -> Params:
        self.store.delete_group(self._group(params))
        return {}

    def delete_log_stream(self, params: Params) -> Params:
        group = self._group(params)
        if not self.store.has_stream(group, params["logStreamName"]):
            raise no_stream()
        self.store.delete_stream(group, params["logStreamName"])
        return {}

    def put_retention_policy(self, params: Params) -> Params:
        group = self._group(params)
        days = params.get("retentionInDays")
        if days not in RETENTION_DAYS:
            raise InvalidParameterException(
                f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to "
                f"satisfy constraint: Member must satisfy enum value set: "
                f"[{', '.join(map(str, RETENTION_DAYS))}]"
            )
        self.store.set_retention(group, days)
        return {}

    def delete_retention_policy(self, params: Params) -> Params:
        self.store.set_retention(self._group(params), None)
        return {}

    def describe_log_groups(self, params: Params) -> Params:
        prefix = params.get("logGroupNamePrefix") or ""
        pattern = params.get("logGroupNamePattern") or ""
        groups = [
            g
            for g in self.store.groups()
            if g.name.startswith(prefix) and pattern.lower() in g.name.lower()
        ]
        page, token = _page(groups, params.get("nextToken"), params.get("limit"), 50)
        found = []
        for group in page:
            doc: Params = {
                "logGroupName": group.name,
                "creationTime": group.creation_time,
                "metricFilterCount": 0,
                "arn": self._arn(group.name) + ":*",
                "logGroupArn": self._arn(group.name),
                "storedBytes": group.stored_bytes,
                "logGroupClass": "STANDARD",
            }
            if group.retention_days is not None:
                doc["retentionInDays"] = group.retention_days
            found.append(doc)
        return _with_token({"logGroups": found}, token)

    def describe_log_streams(self, params: Params) -> Params:
        group = self._group(params)
        prefix = params.get("logStreamNamePrefix") or ""
        order = params.get("orderBy") or "LogStreamName"
        if prefix and order == "LastEventTime":
            raise InvalidParameterException(
                "Cannot order by LastEventTime with a logStreamNamePrefix."
            )
        streams = [s for s in self.store.streams(group) if s.name.startswith(prefix)]
        if order == "LastEventTime":
            streams.sort(key=lambda s: s.last_event or 0)
        if params.get("descending"):
            streams.reverse()
        page, token = _page(streams, params.get("nextToken"), params.get("limit"), 50)
        found = []
        for stream in page:
            doc: Params = {
                "logStreamName": stream.name,
                "creationTime": stream.creation_time,
                "arn": f"{self._arn(group)}:log-stream:{stream.name}",
                "storedBytes": stream.stored_bytes,
            }
            if stream.first_event is not None:
                doc["firstEventTimestamp"] = stream.first_event
                doc["lastEventTimestamp"] = stream.last_event
                doc["lastIngestionTime"] = stream.last_ingestion
            found.append(doc)
        return _with_token({"logStreams": found}, token)

    # -- events ----------------------------------------------------------------------------

    def put_log_events(self, params: Params) -> Params:
        group = self._group(params)
        stream = params["logStreamName"]
        if not self.store.has_stream(group, stream):
            raise no_stream()
        events = params.get("logEvents") or []
        if len(events) > MAX_BATCH_EVENTS:
            raise InvalidParameterException(
                f"Upload too large: {len(events)} events exceeds the maximum of "
                f"{MAX_BATCH_EVENTS} events in a batch"
            )
        size = sum(len(e["message"].encode()) + _EVENT_OVERHEAD for e in events)
        if size > MAX_BATCH_BYTES:
            raise InvalidParameterException(
                f"Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}"
            )
        stamps = [int(e["timestamp"]) for e in events]
        if stamps != sorted(stamps):
            raise InvalidParameterException(
                "Log events in a single PutLogEvents request must be in chronological order."
            )
        now = int(self.clock.wall() * 1000)
        rejected: Params = {}
        kept = []
        for index, event in enumerate(events):
            stamp = int(event["timestamp"])
            if stamp < now - _TOO_OLD_MS:
                rejected["tooOldLogEventEndIndex"] = index + 1
            elif stamp > now + _TOO_NEW_MS:
                rejected.setdefault("tooNewLogEventStartIndex", index)
            else:
                kept.append(LogEvent(stamp, event["message"][:MAX_EVENT_BYTES]))
        self.store.write(group, stream, kept)
        result: Params = {"nextSequenceToken": f"{now:056d}"}
        if rejected:
            result["rejectedLogEventsInfo"] = rejected
        return result

    def get_log_events(self, params: Params) -> Params:
        group = self._group(params)
        stream = params["logStreamName"]
        if not self.store.has_stream(group, stream):
            raise no_stream()
        within = _in_window(params)
        events = [e for e in self.store.events(group, stream) if within(e.timestamp)]
        limit = min(int(params.get("limit") or 10_000), 10_000)
        token = params.get("nextToken")
        if token:
            direction, position = _read_token(token, ("f", "b"))
            if direction == "f":
                start, end = position, min(len(events), position + limit)
            else:
                start, end = max(0, position - limit), position
        elif params.get("startFromHead"):
            start, end = 0, min(len(events), limit)
        else:
            start, end = max(0, len(events) - limit), len(events)
        return {
            "events": [
                {"timestamp": e.timestamp, "message": e.message, "ingestionTime": e.ingestion}
                for e in events[start:end]
            ],
            "nextForwardToken": f"f/{end:056d}",
            "nextBackwardToken": f"b/{start:056d}",
        }

    def filter_log_events(self, params: Params) -> Params:
        group = self._group(params)
        try:
            matches = compile_pattern(params.get("filterPattern"))
        except FilterPatternError as exc:
            raise InvalidParameterException(str(exc)) from None
        names = params.get("logStreamNames")
        prefix = params.get("logStreamNamePrefix")
        if names and prefix:
            raise InvalidParameterException(
                "logStreamNames and logStreamNamePrefix are mutually exclusive"
            )
        streams = [s.name for s in self.store.streams(group)]
        if names:
            streams = [s for s in streams if s in names]
        elif prefix:
            streams = [s for s in streams if s.startswith(prefix)]
        within = _in_window(params)
        hits: list[tuple[int, str, int, StoredEvent]] = []
        for stream in streams:
            # The ordinal is the event's place in its stream: its eventId stays the same
            # whatever the window (aws logs tail drops the ids it has shown).
            for ordinal, event in enumerate(self.store.events(group, stream)):
                if within(event.timestamp) and matches(event.message):
                    hits.append((event.timestamp, stream, ordinal, event))
        hits.sort(key=lambda f: (f[0], f[1], f[2]))
        limit = min(int(params.get("limit") or 10_000), 10_000)
        start = _read_token(params["nextToken"], ("n",))[1] if params.get("nextToken") else 0
        page = hits[start : start + limit]
        result: Params = {
            "events": [
                {
                    "logStreamName": stream,
                    "timestamp": event.timestamp,
                    "message": event.message,
                    "ingestionTime": event.ingestion,
                    "eventId": f"{zlib.crc32(stream.encode()):010d}{ordinal:020d}",
                }
                for _, stream, ordinal, event in page
            ],
            "searchedLogStreams": [
                {"logStreamName": s, "searchedCompletely": True} for s in streams
            ],
        }
        if start + limit < len(hits):
            result["nextToken"] = f"n/{start + limit:056d}"
        return result


def _in_window(params: Params) -> Callable[[int], bool]:
    """Whether a timestamp is within the request's startTime and endTime (both inclusive)."""
    start, end = params.get("startTime"), params.get("endTime")
    return lambda stamp: (start is None or stamp >= start) and (end is None or stamp <= end)


def _read_token(token: str, kinds: tuple[str, ...]) -> tuple[str, int]:
    kind, _, number = str(token).partition("/")
    if kind not in kinds or not number.isdigit():
        raise InvalidParameterException("The specified nextToken is invalid.")
    return kind, int(number)


def _page(
    items: list[Any], token: str | None, limit: Any, default: int
) -> tuple[list[Any], str | None]:
    start = _read_token(token, ("n",))[1] if token else 0
    size = int(limit) if limit else default
    page = items[start : start + size]
    return page, (f"n/{start + size:056d}" if start + size < len(items) else None)


def _with_token(result: Params, token: str | None) -> Params:
    if token:
        result["nextToken"] = token
    return result
