"""Event source mappings through the Lambda API: Create/Get/List/Update/DeleteEventSourceMapping.

The registry owns them: the template's mappings (``Stack.mappings``) and those the API made,
kept in the function store by UUID. A change made through the API to a template's mapping is
kept as an override until the template changes that mapping; a deleted one is remembered as
deleted. ``Registry.on_change`` tells the app, which hands ``active`` to the pollers.
"""

from __future__ import annotations

import dataclasses
import uuid as uuids
from typing import Any

from lamina.model import arns
from lamina.model.mappings import DEFAULT_BATCH, REPORT_BATCH_ITEM_FAILURES, EventSourceMapping
from lamina.services.lambda_.errors import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from lamina.services.lambda_.pagination import paginate
from lamina.services.lambda_.registry import Registry

_SOURCES = ("sqs", "dynamodb", "kinesis")
_STREAMS = ("dynamodb", "kinesis")
_NOT_FOUND = "The resource you requested does not exist."


def active(registry: Registry) -> list[EventSourceMapping]:
    """Every mapping the pollers should run: the template's, overlaid with the API's."""
    return [m for m, _ in _all(registry).values() if m.enabled]


def _all(registry: Registry) -> dict[str, tuple[EventSourceMapping, dict[str, Any]]]:
    """UUID -> (mapping, its API-side record: LastModified, State, or {} for a template's)."""
    found: dict[str, tuple[EventSourceMapping, dict[str, Any]]] = {}
    for mapping in registry.template_mappings:
        found[mapping.uuid] = (mapping, {})
    for uuid, doc in registry.api_mappings.items():
        template = next((m for m in registry.template_mappings if m.uuid == uuid), None)
        if template is not None and doc.get("template") != _fingerprint(template):
            continue  # the template changed this mapping since: the template's wins again
        if doc.get("deleted"):
            found.pop(uuid, None)
            continue
        found[uuid] = (_from_doc(doc["mapping"]), doc)
    return found


def _fingerprint(mapping: EventSourceMapping) -> str:
    return repr(dataclasses.astuple(mapping))


def _from_doc(doc: dict[str, Any]) -> EventSourceMapping:
    values = dict(doc)
    values["filters"] = tuple(values.get("filters") or ())
    return EventSourceMapping(**values)


def _store(registry: Registry, mapping: EventSourceMapping, **extra: Any) -> dict[str, Any]:
    template = next((m for m in registry.template_mappings if m.uuid == mapping.uuid), None)
    doc: dict[str, Any] = {
        "mapping": dataclasses.asdict(mapping),
        "LastModified": registry.clock.wall(),
        **extra,
    }
    if template is not None:
        doc["template"] = _fingerprint(template)
    registry.api_mappings[mapping.uuid] = doc
    registry.store.save_mapping(mapping.uuid, doc)
    return doc


def _shape(
    registry: Registry, mapping: EventSourceMapping, doc: dict[str, Any], state: str | None = None
) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "UUID": mapping.uuid,
        "BatchSize": mapping.batch_size,
        "MaximumBatchingWindowInSeconds": int(mapping.batching_window_s),
        "EventSourceArn": mapping.source_arn,
        "FunctionArn": registry.arn(mapping.function, mapping.qualifier),
        "LastModified": doc.get("LastModified", registry.clock.wall()),
        "State": state or ("Enabled" if mapping.enabled else "Disabled"),
        "StateTransitionReason": "USER_INITIATED",
        "EventSourceMappingArn": arns.arn(
            "lambda",
            registry.settings.region,
            registry.settings.account_id,
            f"event-source-mapping:{mapping.uuid}",
        ),
    }
    if mapping.source in _STREAMS:
        shown["StartingPosition"] = mapping.starting_position
        shown["ParallelizationFactor"] = mapping.parallelization_factor
        shown["MaximumRetryAttempts"] = mapping.maximum_retry_attempts
        shown["MaximumRecordAgeInSeconds"] = mapping.maximum_record_age_s
        shown["BisectBatchOnFunctionError"] = mapping.bisect_on_error
        shown["TumblingWindowInSeconds"] = mapping.tumbling_window_s
        shown["LastProcessingResult"] = "No records processed"
        shown["DestinationConfig"] = (
            {"OnFailure": {"Destination": mapping.on_failure}}
            if mapping.on_failure
            else {"OnFailure": {}}
        )
    if mapping.filters:
        shown["FilterCriteria"] = {"Filters": [{"Pattern": p} for p in mapping.filters]}
    if mapping.report_item_failures:
        shown["FunctionResponseTypes"] = [REPORT_BATCH_ITEM_FAILURES]
    if mapping.maximum_concurrency:
        shown["ScalingConfig"] = {"MaximumConcurrency": mapping.maximum_concurrency}
    return shown


def _find(registry: Registry, params: dict[str, Any]) -> tuple[EventSourceMapping, dict[str, Any]]:
    found = _all(registry).get(str(params["UUID"]))
    if found is None:
        raise ResourceNotFoundException(_NOT_FOUND)
    return found


def _options(
    mapping: EventSourceMapping, params: dict[str, Any], creating: bool
) -> EventSourceMapping:
    changes: dict[str, Any] = {}
    simple = {
        "BatchSize": "batch_size",
        "Enabled": "enabled",
        "BisectBatchOnFunctionError": "bisect_on_error",
        "MaximumRetryAttempts": "maximum_retry_attempts",
        "MaximumRecordAgeInSeconds": "maximum_record_age_s",
        "ParallelizationFactor": "parallelization_factor",
        "TumblingWindowInSeconds": "tumbling_window_s",
    }
    for key, attribute in simple.items():
        if key in params:
            changes[attribute] = params[key]
    if "MaximumBatchingWindowInSeconds" in params:
        changes["batching_window_s"] = float(params["MaximumBatchingWindowInSeconds"])
    if "FilterCriteria" in params:
        filters = (params["FilterCriteria"] or {}).get("Filters") or []
        changes["filters"] = tuple(str(f.get("Pattern", "")) for f in filters)
    if "FunctionResponseTypes" in params:
        changes["report_item_failures"] = (
            REPORT_BATCH_ITEM_FAILURES in params["FunctionResponseTypes"]
        )
    if "DestinationConfig" in params:
        destination = ((params["DestinationConfig"] or {}).get("OnFailure") or {}).get(
            "Destination"
        )
        changes["on_failure"] = destination or None
    if "ScalingConfig" in params:
        changes["maximum_concurrency"] = (params["ScalingConfig"] or {}).get("MaximumConcurrency")
    if creating:
        for key in ("StartingPosition", "StartingPositionTimestamp"):
            if key in params:
                attribute = (
                    "starting_position" if key == "StartingPosition" else "starting_timestamp"
                )
                value = params[key]
                changes[attribute] = value.timestamp() if hasattr(value, "timestamp") else value
    return dataclasses.replace(mapping, **changes)


async def create_event_source_mapping(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    source_arn = str(params.get("EventSourceArn") or "")
    source = arns.service_of(source_arn)
    if source not in _SOURCES:
        raise InvalidParameterValueException(
            f"Unrecognized event source, must be kinesis, dynamodb stream or sqs: {source_arn}"
        )
    doc, qualifier = registry.get(str(params["FunctionName"]))
    if source in _STREAMS and not params.get("StartingPosition"):
        raise InvalidParameterValueException(
            "1 validation error detected: Value null at 'startingPosition' failed to satisfy "
            "constraint: Member must not be null"
        )
    for existing, _ in _all(registry).values():
        if existing.source_arn == source_arn and existing.function == doc.name:
            kind = "SQS" if source == "sqs" else "event source"
            raise ResourceConflictException(
                f'An event source mapping with {kind} arn (" {source_arn} ") and function '
                f'(" {doc.name} ") already exists. Please update or delete the existing mapping '
                f"with UUID {existing.uuid}"
            )
    mapping = EventSourceMapping(
        uuid=str(uuids.uuid4()),
        function=doc.name,
        qualifier=qualifier,
        source_arn=source_arn,
        batch_size=DEFAULT_BATCH.get(source, 100),
    )
    mapping = _options(mapping, params, creating=True)
    stored = _store(registry, mapping)
    registry.on_change()
    return _shape(registry, mapping, stored, "Creating")


async def get_event_source_mapping(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    mapping, doc = _find(registry, params)
    return _shape(registry, mapping, doc)


async def list_event_source_mappings(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    chosen = []
    function = params.get("FunctionName")
    name = registry.get(str(function))[0].name if function else None
    for mapping, doc in _all(registry).values():
        if params.get("EventSourceArn") not in (None, mapping.source_arn):
            continue
        if name is not None and mapping.function != name:
            continue
        chosen.append(_shape(registry, mapping, doc))
    found, marker = paginate(chosen, params.get("Marker"), params.get("MaxItems"), 100)
    result: dict[str, Any] = {"EventSourceMappings": found}
    if marker:
        result["NextMarker"] = marker
    return result


async def update_event_source_mapping(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    mapping, _ = _find(registry, params)
    if params.get("FunctionName"):
        doc, qualifier = registry.get(str(params["FunctionName"]))
        mapping = dataclasses.replace(mapping, function=doc.name, qualifier=qualifier)
    mapping = _options(mapping, params, creating=False)
    stored = _store(registry, mapping)
    registry.on_change()
    return _shape(registry, mapping, stored, "Updating")


async def delete_event_source_mapping(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    mapping, doc = _find(registry, params)
    _store(registry, mapping, deleted=True)
    registry.on_change()
    return _shape(registry, mapping, doc, "Deleting")
