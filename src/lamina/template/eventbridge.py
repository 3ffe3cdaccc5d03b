"""EventBridge resources of an expanded template beside its rules -> ``EventBridgeSpecs``:
``AWS::Events::EventBus``, ``AWS::Events::Archive`` (its pattern checked at load),
``AWS::Events::Connection`` and ``AWS::Events::ApiDestination``. Their ARNs are those
``template/names.py`` gives ``GetAtt``, so a rule's target written as ``!GetAtt Dest.Arn`` is the
API destination Lamina creates."""

from __future__ import annotations

from lamina import fastjson, patterns
from lamina.model import arns
from lamina.model.schedules import (
    ApiDestinationSpec,
    ArchiveSpec,
    ConnectionSpec,
    EventBridgeSpecs,
)
from lamina.template.resources import Resources

_AUTH_TYPES = ("API_KEY", "BASIC", "OAUTH_CLIENT_CREDENTIALS")
_METHODS = ("POST", "GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE")


def find(reader: Resources, region: str, account_id: str) -> EventBridgeSpecs:
    buses = tuple(reader.ref(i) for i in reader.of_type("AWS::Events::EventBus"))
    archives = []
    for logical_id in reader.of_type("AWS::Events::Archive"):
        source = reader.string(logical_id, "SourceArn")
        if ":event-bus/" not in source:
            raise reader.fail(logical_id, "SourceArn", "SourceArn must be an event bus ARN")
        pattern = reader.get(logical_id, "EventPattern")
        text = None
        if pattern is not None:
            text = pattern if isinstance(pattern, str) else fastjson.dumps_text(pattern)
            try:
                patterns.parse(text)
            except patterns.PatternError as exc:
                raise reader.fail(
                    logical_id, "EventPattern", f"Event pattern is not valid. Reason: {exc}"
                ) from None
        archives.append(
            ArchiveSpec(
                name=reader.ref(logical_id),
                bus=source.rsplit("/", 1)[-1],
                pattern=text,
                retention_days=reader.integer(logical_id, "RetentionDays", 0, 0, 2_147_483_647)
                or 0,
                description=_text(reader.get(logical_id, "Description")),
                logical_id=reader.original_id(logical_id),
            )
        )
    connections = []
    for logical_id in reader.of_type("AWS::Events::Connection"):
        name = reader.ref(logical_id)
        kind = reader.string(logical_id, "AuthorizationType")
        if kind not in _AUTH_TYPES:
            raise reader.fail(
                logical_id, "AuthorizationType", f"AuthorizationType must be one of {_AUTH_TYPES}"
            )
        connections.append(
            ConnectionSpec(
                name=name,
                arn=arns.connection_arn(region, account_id, name),
                authorization_type=kind,
                auth_parameters=fastjson.dumps_text(reader.mapping(logical_id, "AuthParameters")),
                description=_text(reader.get(logical_id, "Description")),
                logical_id=reader.original_id(logical_id),
            )
        )
    destinations = []
    for logical_id in reader.of_type("AWS::Events::ApiDestination"):
        name = reader.ref(logical_id)
        method = reader.string(logical_id, "HttpMethod")
        if method not in _METHODS:
            raise reader.fail(logical_id, "HttpMethod", f"HttpMethod must be one of {_METHODS}")
        rate = reader.get(logical_id, "InvocationRateLimitPerSecond")
        destinations.append(
            ApiDestinationSpec(
                name=name,
                arn=arns.api_destination_arn(region, account_id, name),
                connection_arn=reader.string(logical_id, "ConnectionArn"),
                endpoint=reader.string(logical_id, "InvocationEndpoint"),
                method=method,
                rate_limit=int(rate) if rate is not None else None,
                description=_text(reader.get(logical_id, "Description")),
                logical_id=reader.original_id(logical_id),
            )
        )
    return EventBridgeSpecs(buses, tuple(archives), tuple(connections), tuple(destinations))


def _text(value: object) -> str | None:
    return None if value is None else str(value)
