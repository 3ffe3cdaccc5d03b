"""Event source mappings of an expanded template -> ``EventSourceMapping``.

Works after the SAM expansion, where a function's ``DynamoDB``, ``SQS`` or ``Kinesis`` event has
become an ``AWS::Lambda::EventSourceMapping``. A mapping from a source Lamina does not poll yet,
or with a property it does not honour, is reported by name: a function that would be triggered
on AWS and is not on Lamina must be heard about. (SAM events are reported by ``report.py`` under
the name the user wrote, so only mappings the user wrote are reported here.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lamina import fastjson, ids
from lamina.model import arns
from lamina.model.mappings import DEFAULT_BATCH, REPORT_BATCH_ITEM_FAILURES, EventSourceMapping
from lamina.model.specs import UnsupportedResource
from lamina.patterns import PatternError
from lamina.patterns import parse as parse_pattern
from lamina.template.resources import Resources

MAPPING_TYPE = "AWS::Lambda::EventSourceMapping"
# The sources Lamina polls.
POLLED = frozenset({"dynamodb", "sqs", "kinesis"})
_STREAMS = frozenset({"dynamodb", "kinesis"})
_POSITIONS = ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP")
# Properties of sources Lamina does not poll, or behaviour it does not have yet.
_NOT_HONOURED = (
    "Queues",
    "SourceAccessConfigurations",
    "SelfManagedEventSource",
    "SelfManagedKafkaEventSourceConfig",
    "AmazonManagedKafkaEventSourceConfig",
    "DocumentDBEventSourceConfig",
    "Topics",
    "ProvisionedPollerConfig",
)


@dataclass
class Found:
    mappings: list[EventSourceMapping] = field(default_factory=list)
    unsupported: list[UnsupportedResource] = field(default_factory=list)


def find(reader: Resources, stack_name: str) -> Found:
    found = Found()
    for logical_id in reader.of_type(MAPPING_TYPE):
        written = logical_id in reader.template.data["Resources"]
        mapping = _mapping(reader, logical_id, stack_name)
        if mapping.source not in POLLED:
            if written:
                found.unsupported.append(
                    UnsupportedResource(
                        logical_id,
                        MAPPING_TYPE,
                        f"event source mappings from {mapping.source or mapping.source_arn} are "
                        "not served yet: the function is not triggered",
                    )
                )
            continue
        for name in _NOT_HONOURED:
            if reader.get(logical_id, name) is not None:
                found.unsupported.append(
                    UnsupportedResource(
                        f"{reader.original_id(logical_id)}.{name}", name, "not honoured yet"
                    )
                )
        found.mappings.append(mapping)
    return found


def _mapping(reader: Resources, logical_id: str, stack_name: str) -> EventSourceMapping:
    source_arn = reader.string(logical_id, "EventSourceArn")
    source = arns.service_of(source_arn)
    function, qualifier = arns.split_function(reader.string(logical_id, "FunctionName"))
    batch = reader.integer(logical_id, "BatchSize", DEFAULT_BATCH.get(source, 100), 1, 10_000)
    window = reader.integer(logical_id, "MaximumBatchingWindowInSeconds", 0, 0, 300)
    position = reader.get(logical_id, "StartingPosition")
    if source in _STREAMS:
        if position is None:
            raise reader.fail(
                logical_id, "StartingPosition", "StartingPosition is required for streams"
            )
        if position not in _POSITIONS:
            raise reader.fail(
                logical_id,
                "StartingPosition",
                f"StartingPosition must be one of {', '.join(_POSITIONS)}, got {position!r}",
            )
    stamp = reader.get(logical_id, "StartingPositionTimestamp")
    destination = reader.mapping(logical_id, "DestinationConfig").get("OnFailure")
    scaling = reader.mapping(logical_id, "ScalingConfig")
    enabled = reader.get(logical_id, "Enabled", True)
    return EventSourceMapping(
        uuid=ids.stable_uuid(stack_name, logical_id),
        function=function,
        qualifier=qualifier,
        source_arn=source_arn,
        batch_size=batch or 1,
        batching_window_s=float(window or 0),
        starting_position=str(position) if position is not None else None,
        starting_timestamp=float(stamp) if stamp is not None else None,
        enabled=enabled not in (False, "false", "False"),
        filters=_filters(reader, logical_id),
        report_item_failures=REPORT_BATCH_ITEM_FAILURES
        in reader.listing(logical_id, "FunctionResponseTypes"),
        bisect_on_error=reader.get(logical_id, "BisectBatchOnFunctionError") in (True, "true"),
        maximum_retry_attempts=reader.integer(logical_id, "MaximumRetryAttempts", -1, -1, 10_000)
        or 0,
        maximum_record_age_s=reader.integer(
            logical_id, "MaximumRecordAgeInSeconds", -1, -1, 604_800
        )
        or 0,
        on_failure=_destination(destination),
        parallelization_factor=reader.integer(logical_id, "ParallelizationFactor", 1, 1, 10) or 1,
        tumbling_window_s=reader.integer(logical_id, "TumblingWindowInSeconds", 0, 0, 900) or 0,
        maximum_concurrency=_int(scaling.get("MaximumConcurrency")),
        logical_id=reader.original_id(logical_id),
    )


def _filters(reader: Resources, logical_id: str) -> tuple[str, ...]:
    criteria = reader.mapping(logical_id, "FilterCriteria")
    patterns = []
    for entry in criteria.get("Filters") or []:
        pattern: Any = entry.get("Pattern") if isinstance(entry, dict) else None
        if isinstance(pattern, dict):  # SAM lets a pattern be written as YAML
            pattern = fastjson.dumps_text(pattern)
        if not isinstance(pattern, str):
            raise reader.fail(logical_id, "FilterCriteria", "each filter needs a Pattern")
        try:
            parse_pattern(pattern)
        except PatternError as exc:
            raise reader.fail(
                logical_id, "FilterCriteria", f"Invalid filter pattern definition: {exc}"
            ) from None
        patterns.append(pattern)
    return tuple(patterns)


def _destination(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("Destination"), str):
        return str(value["Destination"])
    return None


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None
