"""Invoke (RequestResponse, Event, DryRun) and the legacy InvokeAsync, on the engine.

Invoke answers as Lambda does: 200 with the payload (``X-Amz-Function-Error`` when the function
failed, ``X-Amz-Executed-Version``, and with ``X-Amz-Log-Type: Tail`` the last 4 KB of the log,
base64, in ``X-Amz-Log-Result``); 202 once an Event is durably queued; 204 for a DryRun.
"""

from __future__ import annotations

import base64

from lamina import fastjson
from lamina.engine.api import InvocationType, InvokeRequest
from lamina.net.messages import Response
from lamina.services.lambda_.errors import validation
from lamina.services.lambda_.registry import Registry
from lamina.services.lambda_.routes import Call

_TAIL_BYTES = 4096
_TYPES = {t.value: t for t in InvocationType}
_STATUS = {
    InvocationType.REQUEST_RESPONSE: 200,
    InvocationType.EVENT: 202,
    InvocationType.DRY_RUN: 204,
}


def tail(log: str) -> str:
    return base64.b64encode(log.encode("utf-8", "replace")[-_TAIL_BYTES:]).decode()


async def invoke(registry: Registry, call: Call) -> Response:
    request = call.request
    doc, qualifier = registry.get(call.params["FunctionName"], call.q("Qualifier"))
    raw_type = request.header("x-amz-invocation-type") or InvocationType.REQUEST_RESPONSE.value
    kind = _TYPES.get(raw_type)
    if kind is None:
        raise validation(
            raw_type,
            "invocationType",
            "Member must satisfy enum value set: [Event, RequestResponse, DryRun]",
        )
    log_type = request.header("x-amz-log-type") or "None"
    if log_type not in ("None", "Tail"):
        raise validation(log_type, "logType", "Member must satisfy enum value set: [None, Tail]")
    result = await registry.engine.invoke(
        InvokeRequest(
            function=doc.name,
            payload=request.body,
            invocation_type=kind,
            qualifier=qualifier,
            client_context=request.header("x-amz-client-context"),
            trace_id=request.header("x-amzn-trace-id"),
            tenant_id=request.header("x-amz-tenant-id"),
        )
    )
    headers = [("x-amzn-RequestId", result.request_id)]
    if kind is not InvocationType.REQUEST_RESPONSE:
        return Response(_STATUS[kind], headers, b"")
    headers += [
        ("Content-Type", "application/json"),
        ("X-Amz-Executed-Version", result.executed_version),
    ]
    if result.function_error:
        headers.append(("X-Amz-Function-Error", result.function_error))
    if log_type == "Tail":
        headers.append(("X-Amz-Log-Result", tail(result.log)))
    return Response(200, headers, result.payload)


async def invoke_async(registry: Registry, call: Call) -> Response:
    doc, qualifier = registry.get(call.params["FunctionName"])
    result = await registry.engine.invoke(
        InvokeRequest(
            function=doc.name,
            payload=call.request.body,
            invocation_type=InvocationType.EVENT,
            qualifier=qualifier,
        )
    )
    headers = [("x-amzn-RequestId", result.request_id), ("Content-Type", "application/json")]
    return Response(202, headers, fastjson.dumps({"Status": 202}))
