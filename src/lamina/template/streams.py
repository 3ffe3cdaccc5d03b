"""Kinesis data streams and Firehose delivery streams of an expanded template ->
``StreamSpec`` and ``DeliveryStreamSpec``.

``AWS::Kinesis::Stream``: ``Name`` (else the name ``!Ref`` resolves to), ``ShardCount``
(CloudFormation's default 1 for a provisioned stream), ``StreamModeDetails``,
``RetentionPeriodHours`` (24 to 8760), ``StreamEncryption`` and ``Tags``. A property Lamina does
not know is named in a warning; a value of the wrong type or out of range is a ``TemplateError``.

``AWS::KinesisFirehose::DeliveryStream``: its properties are CreateDeliveryStream's members, kept
as written (``Tags`` included); the Firehose service checks them as it checks the API's, and a
destination other than S3 is named in a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

from lamina.model.streams import DeliveryStreamSpec, StreamSpec
from lamina.template.resources import Resources

STREAM_TYPE = "AWS::Kinesis::Stream"
DELIVERY_STREAM_TYPE = "AWS::KinesisFirehose::DeliveryStream"
_DELIVERY_KNOWN = (
    "DeliveryStreamName",
    "DeliveryStreamType",
    "KinesisStreamSourceConfiguration",
    "S3DestinationConfiguration",
    "ExtendedS3DestinationConfiguration",
    "DeliveryStreamEncryptionConfigurationInput",
    "Tags",
)
_KNOWN = (
    "Name",
    "ShardCount",
    "StreamModeDetails",
    "RetentionPeriodHours",
    "StreamEncryption",
    "Tags",
)
_MODES = ("PROVISIONED", "ON_DEMAND")


@dataclass
class Found:
    streams: dict[str, StreamSpec] = field(default_factory=dict)
    delivery_streams: dict[str, DeliveryStreamSpec] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _stream(reader: Resources, logical_id: str, warnings: list[str]) -> StreamSpec:
    original = reader.original_id(logical_id)
    for name in reader.properties(logical_id):
        if name not in _KNOWN:
            warnings.append(
                f"stream {original}: property {name} is not supported by Lamina and is ignored"
            )
    mode = reader.mapping(logical_id, "StreamModeDetails").get("StreamMode", "PROVISIONED")
    if mode not in _MODES:
        raise reader.fail(
            logical_id, "StreamModeDetails", f"StreamMode must be one of {', '.join(_MODES)}"
        )
    shards = reader.integer(logical_id, "ShardCount", 1, 1, 500) or 1
    retention = reader.integer(logical_id, "RetentionPeriodHours", 24, 24, 8760) or 24
    encryption = reader.mapping(logical_id, "StreamEncryption")
    key = encryption.get("KeyId") if encryption.get("EncryptionType") == "KMS" else None
    tags = {}
    for tag in reader.listing(logical_id, "Tags"):
        if not isinstance(tag, dict) or "Key" not in tag:
            raise reader.fail(logical_id, "Tags", "every tag needs a Key and a Value")
        tags[str(tag["Key"])] = str(tag.get("Value", ""))
    return StreamSpec(
        logical_id=original,
        name=reader.ref(logical_id),
        mode=str(mode),
        shard_count=shards,
        retention_hours=retention,
        encryption_key=str(key) if key is not None else None,
        tags=MappingProxyType(tags),
    )


def _delivery_stream(reader: Resources, logical_id: str, warnings: list[str]) -> DeliveryStreamSpec:
    original = reader.original_id(logical_id)
    params = {}
    for name in reader.properties(logical_id):
        if name not in _DELIVERY_KNOWN:
            warnings.append(
                f"delivery stream {original}: property {name} is not supported by Lamina "
                "and is ignored"
            )
            continue
        params[name] = reader.get(logical_id, name)
    params.pop("DeliveryStreamName", None)
    params.pop("DeliveryStreamEncryptionConfigurationInput", None)
    return DeliveryStreamSpec(logical_id=original, name=reader.ref(logical_id), params=params)


def find(reader: Resources) -> Found:
    """Every active stream and delivery stream, by original logical id."""
    found = Found()
    for logical_id in reader.of_type(STREAM_TYPE):
        spec = _stream(reader, logical_id, found.warnings)
        found.streams[spec.logical_id] = spec
    for logical_id in reader.of_type(DELIVERY_STREAM_TYPE):
        delivery = _delivery_stream(reader, logical_id, found.warnings)
        found.delivery_streams[delivery.logical_id] = delivery
    return found
