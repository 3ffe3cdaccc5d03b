"""Firehose's operations: one handler each, members in and out as botocore's model names them.

A delivery stream is ``DirectPut`` (PutRecord/PutRecordBatch) or ``KinesisStreamAsSource`` (it
reads a Kinesis stream of this endpoint, from the moment it was created, and refuses puts, as
AWS does). Its one destination is S3 (``S3DestinationConfiguration`` or
``ExtendedS3DestinationConfiguration``): other destinations are refused by name. A stream is
``ACTIVE`` as soon as CreateDeliveryStream answers. What is delivered when, and where, is
``delivering``'s; the records are durable when PutRecord answers.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from lamina.clock import SYSTEM, Clock
from lamina.model import arns
from lamina.services.firehose import errors, naming
from lamina.services.firehose.errors import InvalidArgumentException
from lamina.services.firehose.store import Store

Params = dict[str, Any]
DIRECT_PUT = "DirectPut"
KINESIS_SOURCE = "KinesisStreamAsSource"
DESTINATION_ID = "destinationId-000000000001"
DEFAULT_SIZE_MB = 5
DEFAULT_INTERVAL_S = 300
_COMPRESSIONS = ("UNCOMPRESSED", "GZIP")
_PROCESSORS = ("Lambda", "AppendDelimiterToRecord")
_OTHER_DESTINATIONS = (
    "RedshiftDestinationConfiguration",
    "ElasticsearchDestinationConfiguration",
    "AmazonopensearchserviceDestinationConfiguration",
    "SplunkDestinationConfiguration",
    "HttpEndpointDestinationConfiguration",
    "AmazonOpenSearchServerlessDestinationConfiguration",
    "SnowflakeDestinationConfiguration",
    "IcebergDestinationConfiguration",
)
MAX_TAGS = 50
# PutRecordBatch's quota on a whole request.
MAX_BATCH_BYTES = 4 * 1024 * 1024


class DeliveryStreams:
    def __init__(self, store: Store, region: str, account_id: str, clock: Clock = SYSTEM) -> None:
        self.store = store
        self.region = region
        self.account_id = account_id
        self.clock = clock
        # Called after records are buffered: the deliverer wakes.
        self.on_put: Callable[[], None] = lambda: None

    def operations(self) -> dict[str, Callable[[Params], Any]]:
        return {
            "CreateDeliveryStream": self.create_delivery_stream,
            "DeleteDeliveryStream": self.delete_delivery_stream,
            "DescribeDeliveryStream": self.describe_delivery_stream,
            "ListDeliveryStreams": self.list_delivery_streams,
            "PutRecord": self.put_record,
            "PutRecordBatch": self.put_record_batch,
            "TagDeliveryStream": self.tag_delivery_stream,
            "UntagDeliveryStream": self.untag_delivery_stream,
            "ListTagsForDeliveryStream": self.list_tags_for_delivery_stream,
            "StartDeliveryStreamEncryption": self.start_encryption,
            "StopDeliveryStreamEncryption": self.stop_encryption,
        }

    def arn(self, name: str) -> str:
        return arns.arn("firehose", self.region, self.account_id, f"deliverystream/{name}")

    # -- streams ------------------------------------------------------------------------------

    def create(self, params: Params) -> dict[str, Any]:
        """A new delivery stream's document (CreateDeliveryStream, and a template's)."""
        name = params["DeliveryStreamName"]
        kind = params.get("DeliveryStreamType") or DIRECT_PUT
        for other in _OTHER_DESTINATIONS:
            if params.get(other):
                raise InvalidArgumentException(
                    f"{other} is not served by Lamina: only S3 destinations are."
                )
        extended = params.get("ExtendedS3DestinationConfiguration")
        plain = params.get("S3DestinationConfiguration")
        if (extended is None) == (plain is None):
            raise InvalidArgumentException(
                "Exactly one destination configuration must be specified: "
                "ExtendedS3DestinationConfiguration or S3DestinationConfiguration."
            )
        source = None
        if kind == KINESIS_SOURCE:
            source = params.get("KinesisStreamSourceConfiguration")
            if not source:
                raise InvalidArgumentException(
                    "KinesisStreamSourceConfiguration is required for a delivery stream of "
                    "type KinesisStreamAsSource."
                )
            source = {**source, "DeliveryStartTimestamp": self.clock.wall()}
        elif params.get("KinesisStreamSourceConfiguration"):
            raise InvalidArgumentException(
                "KinesisStreamSourceConfiguration is only valid for a delivery stream of type "
                "KinesisStreamAsSource."
            )
        tags = {t["Key"]: t.get("Value", "") for t in params.get("Tags") or []}
        with self.store.lock:
            if name in self.store.streams:
                raise errors.stream_exists(name, self.account_id)
            doc: dict[str, Any] = {
                "name": name,
                "arn": self.arn(name),
                "type": kind,
                "created": self.clock.wall(),
                "destination": destination(extended or plain or {}, extended is not None),
                "source": source,
                "tags": tags,
            }
            self.store.save(name, doc)
        return doc

    def create_delivery_stream(self, params: Params) -> dict[str, Any]:
        return {"DeliveryStreamARN": self.create(params)["arn"]}

    def stream(self, name: str) -> dict[str, Any]:
        found = self.store.streams.get(name)
        if found is None:
            raise errors.no_stream(name, self.account_id)
        return found

    def delete_delivery_stream(self, params: Params) -> dict[str, Any]:
        with self.store.lock:
            self.stream(params["DeliveryStreamName"])
            self.store.delete(params["DeliveryStreamName"])
        return {}

    def describe_delivery_stream(self, params: Params) -> dict[str, Any]:
        doc = self.stream(params["DeliveryStreamName"])
        destination = dict(doc["destination"])
        extended = destination.pop("extended")
        plain = {
            k: destination[k]
            for k in (
                "RoleARN",
                "BucketARN",
                "Prefix",
                "ErrorOutputPrefix",
                "BufferingHints",
                "CompressionFormat",
                "EncryptionConfiguration",
            )
            if k in destination
        }
        described: dict[str, Any] = {
            "DestinationId": DESTINATION_ID,
            "S3DestinationDescription": plain,
        }
        if extended:
            described["ExtendedS3DestinationDescription"] = destination
        answer: dict[str, Any] = {
            "DeliveryStreamName": doc["name"],
            "DeliveryStreamARN": doc["arn"],
            "DeliveryStreamStatus": "ACTIVE",
            "DeliveryStreamEncryptionConfiguration": doc.get("encryption")
            or {"Status": "DISABLED"},
            "DeliveryStreamType": doc["type"],
            "VersionId": "1",
            "CreateTimestamp": doc["created"],
            "Destinations": [described],
            "HasMoreDestinations": False,
        }
        if doc["source"]:
            answer["Source"] = {"KinesisStreamSourceDescription": doc["source"]}
        else:
            answer["Source"] = {"DirectPutSourceDescription": {}}
        return {"DeliveryStreamDescription": answer}

    def list_delivery_streams(self, params: Params) -> dict[str, Any]:
        kind = params.get("DeliveryStreamType")
        names = sorted(
            n for n, d in self.store.streams.items() if kind is None or d["type"] == kind
        )
        start = params.get("ExclusiveStartDeliveryStreamName")
        if start is not None:
            names = [n for n in names if n > start]
        limit = params.get("Limit") or 10
        return {"DeliveryStreamNames": names[:limit], "HasMoreDeliveryStreams": len(names) > limit}

    # -- records -------------------------------------------------------------------------------

    def _put(self, name: str, records: list[Params]) -> list[str]:
        doc = self.stream(name)
        if doc["type"] != DIRECT_PUT:
            raise InvalidArgumentException(
                "This operation is not permitted on KinesisStreamAsSource delivery stream type."
            )
        now = self.clock.wall()
        self.store.put(name, [(bytes(r["Data"]), now, None) for r in records])
        self.on_put()
        return [uuid.uuid4().hex + uuid.uuid4().hex for _ in records]

    def put_record(self, params: Params) -> dict[str, Any]:
        [record_id] = self._put(params["DeliveryStreamName"], [params["Record"]])
        return {"RecordId": record_id, "Encrypted": False}

    def put_record_batch(self, params: Params) -> dict[str, Any]:
        if sum(len(r["Data"]) for r in params["Records"]) > MAX_BATCH_BYTES:
            raise InvalidArgumentException("Records size exceeds 4 MB limit")
        ids = self._put(params["DeliveryStreamName"], params["Records"])
        return {
            "FailedPutCount": 0,
            "Encrypted": False,
            "RequestResponses": [{"RecordId": i} for i in ids],
        }

    # -- encryption (recorded: Lamina holds no keys) -------------------------------------------

    def start_encryption(self, params: Params) -> dict[str, Any]:
        given = params.get("DeliveryStreamEncryptionConfigurationInput") or {}
        encryption = {"KeyType": given.get("KeyType", "AWS_OWNED_CMK"), "Status": "ENABLED"}
        if given.get("KeyARN"):
            encryption["KeyARN"] = given["KeyARN"]
        return self._encryption(params["DeliveryStreamName"], encryption)

    def stop_encryption(self, params: Params) -> dict[str, Any]:
        return self._encryption(params["DeliveryStreamName"], {"Status": "DISABLED"})

    def _encryption(self, name: str, encryption: dict[str, Any]) -> dict[str, Any]:
        with self.store.lock:
            doc = self.stream(name)
            if doc["type"] != DIRECT_PUT:
                raise InvalidArgumentException(
                    "Encryption is not supported for a delivery stream of type "
                    "KinesisStreamAsSource: encrypt its Kinesis stream instead."
                )
            self.store.save(name, {**doc, "encryption": encryption})
        return {}

    # -- tags ----------------------------------------------------------------------------------

    def tag_delivery_stream(self, params: Params) -> dict[str, Any]:
        with self.store.lock:
            doc = self.stream(params["DeliveryStreamName"])
            tags = {**doc["tags"], **{t["Key"]: t.get("Value", "") for t in params["Tags"]}}
            if len(tags) > MAX_TAGS:
                raise errors.LimitExceededException(
                    f"A delivery stream cannot have more than {MAX_TAGS} tags."
                )
            self.store.save(doc["name"], {**doc, "tags": tags})
        return {}

    def untag_delivery_stream(self, params: Params) -> dict[str, Any]:
        with self.store.lock:
            doc = self.stream(params["DeliveryStreamName"])
            tags = {k: v for k, v in doc["tags"].items() if k not in params["TagKeys"]}
            self.store.save(doc["name"], {**doc, "tags": tags})
        return {}

    def list_tags_for_delivery_stream(self, params: Params) -> dict[str, Any]:
        doc = self.stream(params["DeliveryStreamName"])
        keys = sorted(doc["tags"])
        start = params.get("ExclusiveStartTagKey")
        if start is not None:
            keys = [k for k in keys if k > start]
        limit = params.get("Limit") or MAX_TAGS
        return {
            "Tags": [{"Key": k, "Value": doc["tags"][k]} for k in keys[:limit]],
            "HasMoreTags": len(keys) > limit,
        }


def destination(config: Params, extended: bool) -> dict[str, Any]:
    """The destination as DescribeDeliveryStream shows it, defaults filled in and checked."""
    bucket = arns.parse(str(config.get("BucketARN", "")))
    if bucket is None or bucket.service != "s3" or not bucket.resource:
        raise InvalidArgumentException(f"Invalid BucketARN: {config.get('BucketARN')}")
    compression = config.get("CompressionFormat") or "UNCOMPRESSED"
    if compression not in _COMPRESSIONS:
        raise InvalidArgumentException(
            f"CompressionFormat {compression} is not served by Lamina: "
            f"only {' and '.join(_COMPRESSIONS)} are."
        )
    prefix = config.get("Prefix") or ""
    error_prefix = config.get("ErrorOutputPrefix")
    try:
        naming.check(prefix)
        naming.check(error_prefix or "", error_prefix=True)
    except naming.PrefixError as exc:
        raise InvalidArgumentException(str(exc)) from None
    if "!{" in prefix and not error_prefix:
        raise InvalidArgumentException(
            "ErrorOutputPrefix cannot be null or empty when Prefix contains expressions."
        )
    hints = config.get("BufferingHints") or {}
    found: dict[str, Any] = {
        "extended": extended,
        "RoleARN": config.get("RoleARN", ""),
        "BucketARN": config["BucketARN"],
        "Prefix": prefix,
        "BufferingHints": {
            "SizeInMBs": hints.get("SizeInMBs", DEFAULT_SIZE_MB),
            "IntervalInSeconds": hints.get("IntervalInSeconds", DEFAULT_INTERVAL_S),
        },
        "CompressionFormat": compression,
        "EncryptionConfiguration": config.get("EncryptionConfiguration")
        or {"NoEncryptionConfig": "NoEncryption"},
    }
    if error_prefix:
        found["ErrorOutputPrefix"] = error_prefix
    processing = config.get("ProcessingConfiguration")
    if extended and processing:
        for processor in processing.get("Processors") or []:
            if processor.get("Type") not in _PROCESSORS:
                raise InvalidArgumentException(
                    f"Processor type {processor.get('Type')} is not served by Lamina: "
                    f"only {' and '.join(_PROCESSORS)} are."
                )
        found["ProcessingConfiguration"] = processing
    return found
