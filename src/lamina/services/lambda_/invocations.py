"""Invoke (RequestResponse, Event, DryRun) and the legacy InvokeAsync, on the engine.

Invoke answers as Lambda does, in the members of botocore's ``InvocationResponse``: the
``StatusCode`` (200 with the payload, 202 once an Event is durably queued, 204 for a DryRun),
the ``Payload`` blob as the whole body, ``FunctionError`` (``X-Amz-Function-Error``) when the
function failed, ``ExecutedVersion`` (``X-Amz-Executed-Version``) and, with ``LogType`` Tail,
the last 4 KB of the log, base64, as ``LogResult`` (``X-Amz-Log-Result``). The invocation runs
under the API request's id, so the function's ``aws_request_id`` is the response's
``x-amzn-RequestId``.
"""

from __future__ import annotations

import base64
from typing import Any

from lamina.engine.api import InvocationType, InvokeRequest
from lamina.services.lambda_.registry import Registry
from lamina.services.protocols.service import Call

_TAIL_BYTES = 4096
# InvocationType is one of these: the model's enum was checked before the handler runs.
_TYPES = {t.value: t for t in InvocationType}
_STATUS = {
    InvocationType.REQUEST_RESPONSE: 200,
    InvocationType.EVENT: 202,
    InvocationType.DRY_RUN: 204,
}


def tail(log: str) -> str:
    return base64.b64encode(log.encode("utf-8", "replace")[-_TAIL_BYTES:]).decode()


async def invoke(registry: Registry, params: dict[str, Any], call: Call) -> dict[str, Any]:
    doc, qualifier = registry.get(params["FunctionName"], params.get("Qualifier"))
    kind = _TYPES[params.get("InvocationType", "RequestResponse")]
    result = await registry.engine.invoke(
        InvokeRequest(
            function=doc.name,
            payload=params.get("Payload", b""),
            invocation_type=kind,
            qualifier=qualifier,
            client_context=params.get("ClientContext"),
            trace_id=call.request.header("x-amzn-trace-id"),
            request_id=call.request_id,
            tenant_id=params.get("TenantId"),
        )
    )
    if kind is not InvocationType.REQUEST_RESPONSE:
        return {"StatusCode": _STATUS[kind]}
    answer: dict[str, Any] = {
        "StatusCode": 200,
        "Payload": result.payload,
        "ExecutedVersion": result.executed_version,
    }
    if result.function_error:
        answer["FunctionError"] = result.function_error
    if params.get("LogType") == "Tail":
        answer["LogResult"] = tail(result.log)
    return answer


async def invoke_async(registry: Registry, params: dict[str, Any], call: Call) -> dict[str, Any]:
    doc, qualifier = registry.get(params["FunctionName"])
    await registry.engine.invoke(
        InvokeRequest(
            function=doc.name,
            payload=params.get("InvokeArgs", b""),
            invocation_type=InvocationType.EVENT,
            qualifier=qualifier,
            request_id=call.request_id,
        )
    )
    return {"Status": 202}
