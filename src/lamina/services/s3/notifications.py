"""Bucket notifications: Put/GetBucketNotificationConfiguration, and S3's event records sent to
functions, queues and topics (through ``lamina.delivery``) when objects are created or removed.

A configuration names destinations (``LambdaFunctionConfigurations``, ``QueueConfigurations``,
``TopicConfigurations``), each with event types (``s3:ObjectCreated:*``, ``s3:ObjectCreated:Put``,
``...:Post``, ``...:Copy``, ``...:CompleteMultipartUpload``, ``s3:ObjectRemoved:*``,
``...:Delete``) and a key filter (``prefix``/``suffix`` rules). Each matching change is one
record, field for field as S3 writes it (``eventVersion`` 2.1, ``s3.object.sequencer``
increasing per key), delivered after the request that made it is answered; setting a
configuration sends S3's ``s3:TestEvent`` to its queues and topics. Delivery is asynchronous and
at most as durable as the destination (a function's is queued durably by the engine).

A configuration with ``EventBridgeConfiguration`` also sends every object change to the
default event bus as S3 writes it there (``"source": "aws.s3"``, ``"detail-type": "Object
Created"`` or ``"Object Deleted"``, the ``detail`` with ``bucket``, ``object``, ``reason``...),
whatever the other destinations' filters.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
from typing import Any

from lamina import fastjson, ids, timestamps
from lamina.clock import SYSTEM, Clock
from lamina.delivery import Deliveries, DeliveryError, Message
from lamina.model import arns
from lamina.services.s3.errors import InvalidArgument, NoSuchBucket
from lamina.services.s3.store import Store

log = logging.getLogger("lamina.s3")

_KINDS = (
    ("LambdaFunctionConfigurations", "LambdaFunctionArn"),
    ("QueueConfigurations", "QueueArn"),
    ("TopicConfigurations", "TopicArn"),
)
# The ``reason`` of S3's EventBridge events, by the change's event name.
_REASONS = {
    "ObjectCreated:Put": "PutObject",
    "ObjectCreated:Post": "POST Object",
    "ObjectCreated:Copy": "CopyObject",
    "ObjectCreated:CompleteMultipartUpload": "CompleteMultipartUpload",
    "ObjectRemoved:Delete": "DeleteObject",
    "ObjectRemoved:DeleteMarkerCreated": "DeleteObject",
}
_EVENTS = frozenset(
    {
        "s3:ObjectCreated:*",
        "s3:ObjectCreated:Put",
        "s3:ObjectCreated:Post",
        "s3:ObjectCreated:Copy",
        "s3:ObjectCreated:CompleteMultipartUpload",
        "s3:ObjectRemoved:*",
        "s3:ObjectRemoved:Delete",
        "s3:ObjectRemoved:DeleteMarkerCreated",
    }
)


class Notifications:
    def __init__(
        self, store: Store, region: str, account_id: str = "000000000000", clock: Clock = SYSTEM
    ) -> None:
        self.store = store
        self.region = region
        self.account_id = account_id
        self.clock = clock
        # Set when the service is wired to the others (the composition root's Deliveries).
        self.deliveries: Deliveries | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._sequence = 0

    # -- the API ---------------------------------------------------------------------------

    def put_bucket_notification_configuration(self, params: dict[str, Any]) -> dict[str, Any]:
        bucket = params["Bucket"]
        self._require(bucket)
        config = params.get("NotificationConfiguration") or {}
        for kind, _ in _KINDS:
            for entry in config.get(kind) or []:
                for event in entry.get("Events") or []:
                    if event not in _EVENTS:
                        raise InvalidArgument("The event is not supported for notifications")
                entry.setdefault("Id", ids.hex_id())
        self.store.set_notifications(bucket, config)
        self._test_events(bucket, config)
        return {}

    def get_bucket_notification_configuration(self, params: dict[str, Any]) -> dict[str, Any]:
        self._require(params["Bucket"])
        return self.store.notifications(params["Bucket"])

    def _require(self, bucket: str) -> None:
        if self.store.bucket(bucket) is None:
            raise NoSuchBucket("The specified bucket does not exist")

    # -- events ----------------------------------------------------------------------------

    def watching(self, bucket: str) -> bool:
        """Whether a change in ``bucket`` may be delivered anywhere (callers skip gathering a
        record's facts when not)."""
        return (
            self.deliveries is not None
            and self.loop is not None
            and bool(self.store.notifications(bucket))
        )

    def changed(
        self,
        event: str,
        bucket: str,
        key: str,
        size: int | None,
        etag: str | None,
        ip: str,
        version: str | None = None,
    ) -> None:
        """``event`` (``ObjectCreated:Put``...) happened to ``bucket``/``key``: records to the
        destinations whose filters match, after the caller answers."""
        config = self.store.notifications(bucket)
        if not config or self.deliveries is None or self.loop is None:
            return
        self._sequence += 1
        if "EventBridgeConfiguration" in config:
            self._send(
                arns.arn("events", self.region, self.account_id, "event-bus/default"),
                fastjson.dumps_text(
                    self._bridge_event(event, bucket, key, size, etag, ip, version)
                ),
            )
        for kind, field in _KINDS:
            for entry in config.get(kind) or []:
                if not _wanted(entry, event, key):
                    continue
                record = self._record(
                    event, bucket, key, size, etag, ip, entry.get("Id", ""), version
                )
                self._send(str(entry[field]), fastjson.dumps_text({"Records": [record]}))

    def _record(
        self,
        event: str,
        bucket: str,
        key: str,
        size: int | None,
        etag: str | None,
        ip: str,
        configuration: str,
        version: str | None = None,
    ) -> dict[str, Any]:
        request_id = ids.hex_id()[:16].upper()
        obj: dict[str, Any] = {"key": urllib.parse.quote_plus(key, safe="/")}
        if size is not None:
            obj["size"] = size
        if etag:
            obj["eTag"] = etag.strip('"')
        if version is not None:
            obj["versionId"] = version
        obj["sequencer"] = f"{int(self.clock.wall() * 1000):012X}{self._sequence:06X}"
        return {
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": self.region,
            "eventTime": timestamps.iso_millis(self.clock.wall()),
            "eventName": event,
            "userIdentity": {"principalId": "AWS:LAMINA"},
            "requestParameters": {"sourceIPAddress": ip},
            "responseElements": {"x-amz-request-id": request_id, "x-amz-id-2": request_id},
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": configuration,
                "bucket": {
                    "name": bucket,
                    "ownerIdentity": {"principalId": "LAMINA"},
                    "arn": f"arn:aws:s3:::{bucket}",
                },
                "object": obj,
            },
        }

    def _bridge_event(
        self,
        event: str,
        bucket: str,
        key: str,
        size: int | None,
        etag: str | None,
        ip: str,
        version: str | None = None,
    ) -> dict[str, Any]:
        created = event.startswith("ObjectCreated")
        obj: dict[str, Any] = {"key": key}
        if created and size is not None:
            obj["size"] = size
        if created and etag:
            obj["etag"] = etag.strip('"')
        if version is not None:
            obj["version-id"] = version
        obj["sequencer"] = f"{int(self.clock.wall() * 1000):012X}{self._sequence:06X}"
        detail: dict[str, Any] = {
            "version": "0",
            "bucket": {"name": bucket},
            "object": obj,
            "request-id": ids.hex_id()[:16].upper(),
            "requester": self.account_id,
            "source-ip-address": ip,
            "reason": _REASONS.get(event, event.split(":", 1)[-1]),
        }
        if not created:
            detail["deletion-type"] = (
                "Delete Marker Created"
                if event.endswith("DeleteMarkerCreated")
                else "Permanently Deleted"
            )
        return {
            "version": "0",
            "id": ids.request_id(),
            "detail-type": "Object Created" if created else "Object Deleted",
            "source": "aws.s3",
            "account": self.account_id,
            "time": timestamps.iso_seconds(self.clock.wall()),
            "region": self.region,
            "resources": [f"arn:aws:s3:::{bucket}"],
            "detail": detail,
        }

    def _test_events(self, bucket: str, config: dict[str, Any]) -> None:
        body = fastjson.dumps_text(
            {
                "Service": "Amazon S3",
                "Event": "s3:TestEvent",
                "Time": timestamps.iso_millis(self.clock.wall()),
                "Bucket": bucket,
                "RequestId": ids.hex_id()[:16].upper(),
                "HostId": ids.hex_id(),
            }
        )
        for kind, field in _KINDS[1:]:
            for entry in config.get(kind) or []:
                self._send(str(entry[field]), body)

    def _send(self, arn: str, body: str) -> None:
        deliveries, loop = self.deliveries, self.loop
        assert deliveries is not None and loop is not None

        async def deliver() -> None:
            try:
                await deliveries.deliver(arn, Message(body))
            except DeliveryError as exc:
                log.warning("S3 notification to %s not delivered: %s", arn, exc)

        # Handlers run on worker threads; deliveries belong to the event loop.
        asyncio.run_coroutine_threadsafe(deliver(), loop)


def _wanted(entry: dict[str, Any], event: str, key: str) -> bool:
    events = entry.get("Events") or []
    family = event.split(":", 1)[0]
    if f"s3:{event}" not in events and f"s3:{family}:*" not in events:
        return False
    rules = ((entry.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []
    for rule in rules:
        name, value = str(rule.get("Name", "")).lower(), str(rule.get("Value", ""))
        if name == "prefix" and not key.startswith(value):
            return False
        if name == "suffix" and not key.endswith(value):
            return False
    return True
