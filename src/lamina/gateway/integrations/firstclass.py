"""HTTP API first-class integrations (``integrationSubtype``): ``SQS-SendMessage``,
``SQS-ReceiveMessage``, ``SQS-DeleteMessage``, ``EventBridge-PutEvents`` and
``StepFunctions-StartExecution``, ``-StartSyncExecution`` and ``-StopExecution``.

Contract of ``FirstClass``: built once per stage and route; per call it evaluates the
integration's request parameters (a value is literal text in which ``$request.body.<JSONPath>``,
``$request.header.X``, ``$request.querystring.X``, ``$request.path.X``, ``$context.X`` and
``$stageVariables.X``, bare or as ``${...}``, are replaced by the request's), sends the action
to Lamina's service in process (``awsservice.ServiceCall``) and answers with the service's
status, Content-Type and body, as API Gateway passes them back. Never raises.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlencode

from lamina import fastjson
from lamina.gateway import events, jsonpath, responses
from lamina.gateway.events import Call
from lamina.gateway.integrations.awsservice import FORM, ServiceCall
from lamina.model.apis import Api, Route
from lamina.net.messages import Request, Response

log = logging.getLogger("lamina.gateway")
_SELECTOR = re.compile(
    r"\$\{([^}]+)\}|\$((?:request|context|stageVariables)\.[A-Za-z0-9_.\-\[\]'*$]+)"
)
_EVENT_FIELDS = {
    "Detail": "Detail",
    "DetailType": "DetailType",
    "Source": "Source",
    "EventBusName": "EventBusName",
    "Resources": "Resources",
    "Time": "Time",
    "TraceHeader": "TraceHeader",
}
# Step Functions' request parameters -> the API's members.
_EXECUTION_FIELDS = {
    "StateMachineArn": "stateMachineArn",
    "Name": "name",
    "Input": "input",
    "TraceHeader": "traceHeader",
    "ExecutionArn": "executionArn",
    "Cause": "cause",
    "Error": "error",
}


class FirstClass:
    """One route's first-class integration on one stage."""

    __slots__ = ("_call", "_kind", "_parameters", "_subtype", "_where", "function")

    def __init__(self, api: Api, route: Route, call: ServiceCall) -> None:
        spec = route.integration
        assert spec.subtype is not None
        self._subtype = spec.subtype
        self._parameters = dict(spec.request_parameters)
        self._call = call
        self._kind = api.kind
        self._where = f"{api.logical_id} {route.key}"
        self.function: str | None = None

    async def __call__(self, call: Call, /) -> Response:
        values = {name: _evaluate(text, call) for name, text in self._parameters.items()}
        service, action = self._subtype.split("-", 1)
        if service == "SQS":
            request = Request(
                "POST",
                "/",
                "",
                [("Content-Type", FORM), ("Host", "localhost")],
                urlencode([("Action", action), *values.items()]).encode(),
            )
            signing = "sqs"
        elif service == "StepFunctions":
            members = {_EXECUTION_FIELDS[k]: v for k, v in values.items() if k in _EXECUTION_FIELDS}
            request = Request(
                "POST",
                "/",
                "",
                [
                    ("Content-Type", "application/x-amz-json-1.0"),
                    ("X-Amz-Target", f"AWSStepFunctions.{action}"),
                    ("Host", "localhost"),
                ],
                fastjson.dumps(members),
            )
            signing = "states"
        else:
            entry: dict[str, Any] = {
                _EVENT_FIELDS[k]: v for k, v in values.items() if k in _EVENT_FIELDS
            }
            if "Resources" in entry:
                entry["Resources"] = [
                    r.strip() for r in str(entry["Resources"]).split(",") if r.strip()
                ]
            request = Request(
                "POST",
                "/",
                "",
                [
                    ("Content-Type", "application/x-amz-json-1.1"),
                    ("X-Amz-Target", "AWSEvents.PutEvents"),
                    ("Host", "localhost"),
                ],
                fastjson.dumps({"Entries": [entry]}),
            )
            signing = "events"
        try:
            answer = await self._call(signing, request)
        except Exception:  # the seam must not take the gateway down; the fault is logged
            log.exception("%s: the %s integration failed", self._where, self._subtype)
            return responses.integration_failed(self._kind)
        content_type = answer.header("content-type") or "application/json"
        return Response(answer.status, [("Content-Type", content_type)], answer.body)


def _evaluate(text: str, call: Call) -> str:
    """``text`` with its selectors replaced by the request's values ("" for a missing one)."""
    whole = _SELECTOR.fullmatch(text)
    if whole is not None:
        return _value(whole.group(1) or whole.group(2), call)
    return _SELECTOR.sub(lambda m: _value(m.group(1) or m.group(2), call), text)


def _value(selector: str, call: Call) -> str:
    selector = selector.removeprefix("$")
    request = call.request
    where, _, name = selector.partition(".")
    if where == "request":
        place, _, key = name.partition(".")
        if place == "body":
            try:
                document = fastjson.loads(request.body or b"{}")
            except ValueError:
                return ""
            found = jsonpath.parse("$." + key if key else "$").find(document)
            if found is jsonpath.MISSING or found is None:
                return ""
            return found if isinstance(found, str) else fastjson.dumps_text(found)
        if place == "header":
            return request.header(key) or ""
        if place == "querystring":
            return next((v for k, v in events.query_pairs(request.query) if k == key), "")
        if place == "path":
            return call.match.path_parameters.get(key, "")
        return ""
    if where == "stageVariables":
        return call.match.stage.variables.get(name, "")
    if where == "context":
        value: Any = events.v2(call)["requestContext"]
        for part in name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return "" if value is None else str(value)
    return ""
