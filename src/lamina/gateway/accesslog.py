"""Access log lines: Lamina's own one-liner, or API Gateway's ``$context`` format when the
stage configures ``AccessLogSetting`` (REST) / ``AccessLogSettings`` (HTTP API).

Pure: a ``Record`` in, a line out. Variables API Gateway has and Lamina does not know are
written as ``-``, as API Gateway writes empty values.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from lamina.gateway.events import Call, gateway_time

_VARIABLE = re.compile(r"\$context\.([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)*)")


@dataclass(slots=True, init=False)
class Record:
    """What happened to one request, once answered."""

    # Built for every request: a hand-written __init__ (init=False) costs a third of the
    # generated one, and a tenth of it once compiled (see README, compiled build).

    method: str
    path: str
    status: int
    latency_ms: float
    response_length: int
    # The function that answered (logical id), or None (mock, proxy, no route).
    function: str | None
    request_id: str
    call: Call | None = None
    integration_status: int | None = None
    integration_latency_ms: float | None = None
    error_message: str | None = None

    def __init__(
        self,
        method: str,
        path: str,
        status: int,
        latency_ms: float,
        response_length: int,
        function: str | None,
        request_id: str,
        call: Call | None = None,
        integration_status: int | None = None,
        integration_latency_ms: float | None = None,
        error_message: str | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.latency_ms = latency_ms
        self.response_length = response_length
        self.function = function
        self.request_id = request_id
        self.call = call
        self.integration_status = integration_status
        self.integration_latency_ms = integration_latency_ms
        self.error_message = error_message


def line(record: Record) -> str:
    """Lamina's line: ``GET /Prod/hello 200 1.25 ms HelloFunction 8d1c...``."""
    return plain(
        record.method,
        record.path,
        record.status,
        record.latency_ms,
        record.function,
        record.request_id,
    )


def plain(
    method: str, path: str, status: int, latency_ms: float, function: str | None, request_id: str
) -> str:
    """``line`` from its parts: the gateway writes one per request without making a Record."""
    return f"{method} {path} {status} {latency_ms:.2f} ms {function or '-'} {request_id}"


def _context(record: Record) -> dict[str, Callable[[], object]]:
    call = record.call
    match = call.match if call else None
    return {
        "requestId": lambda: record.request_id,
        "extendedRequestId": lambda: record.request_id,
        "awsEndpointRequestId": lambda: record.request_id,
        "httpMethod": lambda: record.method,
        "path": lambda: record.path,
        "status": lambda: record.status,
        "responseLength": lambda: record.response_length,
        "responseLatency": lambda: round(record.latency_ms),
        "integrationLatency": lambda: _or_dash(record.integration_latency_ms, round),
        "integration.latency": lambda: _or_dash(record.integration_latency_ms, round),
        "integrationStatus": lambda: _or_dash(record.integration_status),
        "integration.status": lambda: _or_dash(record.integration_status),
        "integration.integrationStatus": lambda: _or_dash(record.integration_status),
        "error.message": lambda: record.error_message or "-",
        "identity.sourceIp": lambda: call.source_ip if call else "-",
        "identity.userAgent": lambda: (call.request.header("user-agent") if call else None) or "-",
        "protocol": lambda: call.protocol if call else "-",
        "requestTime": lambda: gateway_time(call.time) if call else "-",
        "requestTimeEpoch": lambda: int(call.time * 1000) if call else "-",
        "domainName": lambda: call.domain if call else "-",
        "apiId": lambda: match.api.id if match else "-",
        "stage": lambda: match.stage.name if match else "-",
        "resourcePath": lambda: match.route.path if match else "-",
        "routeKey": lambda: match.route.key if match else "-",
        "integration.requestId": lambda: record.request_id,
    }


def _or_dash(value: float | int | None, convert: Callable[[float], int] | None = None) -> object:
    if value is None:
        return "-"
    return convert(value) if convert else value


def formatted(record: Record, template: str) -> str:
    """``template`` with every ``$context.*`` variable replaced."""
    values = _context(record)

    def replace(found: re.Match[str]) -> str:
        name = found.group(1)
        parts = name.split(".")
        # The longest known variable wins; what follows it ("$context.status.") is kept.
        for end in range(len(parts), 0, -1):
            head = ".".join(parts[:end])
            if head in values:
                return f"{values[head]()}{name[len(head) :]}"
        return "-"

    return _VARIABLE.sub(replace, template)
