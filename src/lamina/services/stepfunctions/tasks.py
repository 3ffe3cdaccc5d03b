"""What a ``Task`` state's ``Resource`` runs: Lambda functions through the engine, and Lamina's
own services called in process.

* a function's ARN: the effective input is the event, the function's result the task's;
* ``arn:aws:states:::lambda:invoke``: ``Parameters`` name ``FunctionName`` and ``Payload``, and
  the result is wrapped as AWS wraps it (``ExecutedVersion``, ``Payload``, ``SdkHttpMetadata``,
  ``SdkResponseMetadata``, ``StatusCode``);
* the optimised integrations ``arn:aws:states:::SERVICE:ACTION`` (sqs:sendMessage, sns:publish,
  dynamodb:getItem/putItem/updateItem/deleteItem, events:putEvents...) and the SDK
  integrations ``arn:aws:states:::aws-sdk:SERVICE:ACTION``: the service's own handler for the
  operation, called with ``Parameters`` as its request members (checked against botocore's
  model as a request's would be), its answer the task's result;
* ``arn:aws:states:::http:invoke``: an HTTP request (``ApiEndpoint``, ``Method``,
  ``Headers``, ``QueryParameters``, ``RequestBody``).

A function error is the task's failure with the error type the function raised
(``ValueError``) or ``Lambda.Unknown``; a service's error is ``SERVICE.Code``
(``DynamoDB.ConditionalCheckFailedException``, ``Sqs.QueueDoesNotExist`` for aws-sdk).
``states:startExecution`` is the executor's (it waits on executions).
"""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lamina import fastjson, ids
from lamina.engine.api import Invoker, InvokeRequest
from lamina.errors import AwsError
from lamina.model import arns
from lamina.net.messages import Request
from lamina.services.api import Service
from lamina.services.protocols import awsjson, shapes, validation
from lamina.services.protocols.service import Call, ModelService
from lamina.states import StatesError

Handler = Callable[..., Any]
# aws-sdk's service names -> the names Lamina serves them under.
_SDK_SERVICES = {"eventbridge": "events", "sfn": "stepfunctions", "cloudwatchlogs": "logs"}
# The error prefixes of the optimised integrations.
_PREFIX = {"sqs": "SQS", "sns": "SNS", "dynamodb": "DynamoDB", "events": "EventBridge"}
_SDK_PREFIX = {"dynamodb": "DynamoDb", "eventbridge": "EventBridge", "sfn": "Sfn"}


@dataclass(frozen=True, slots=True)
class Resource:
    """A Task's ``Resource`` read: ``kind`` is ``function``, ``activity`` or the integration's
    service (``lambda``, ``sqs``, ``aws-sdk:dynamodb``, ``states``, ``http``); ``action`` its
    action (``invoke``, ``sendMessage``); ``pattern`` ``""``, ``sync``, ``sync:2`` or
    ``waitForTaskToken``."""

    arn: str
    kind: str
    action: str
    pattern: str

    @property
    def resource_type(self) -> str:
        return self.kind

    @property
    def resource_name(self) -> str:
        return f"{self.action}.{self.pattern}" if self.pattern else self.action


def read(arn: str) -> Resource:
    parsed = arns.parse(arn)
    if parsed is None:
        raise StatesError("States.Runtime", f"Invalid resource: {arn}")
    if parsed.service == "lambda":
        return Resource(arn, "function", arn, "")
    if parsed.service == "states" and parsed.resource.startswith("activity:"):
        return Resource(arn, "activity", arn, "")
    parts = parsed.resource.split(":")
    if parsed.service != "states" or len(parts) < 2:
        raise StatesError("States.Runtime", f"Lamina does not run the task resource {arn} yet")
    if parts[0] == "aws-sdk" and len(parts) >= 3:
        kind, rest = f"aws-sdk:{parts[1]}", ":".join(parts[2:])
    else:
        kind, rest = parts[0], ":".join(parts[1:])
    action, _, pattern = rest.partition(".")
    return Resource(arn, kind, action, pattern)


@dataclass(frozen=True, slots=True)
class Served:
    handlers: Mapping[str, Handler]
    # Called on the loop one at a time (DynamoDB) rather than on a worker thread.
    inline: bool
    # The botocore model the handlers' members follow (None: handlers check their own).
    model: str | None


class Tasks:
    def __init__(self, invoker: Invoker | None, region: str, account_id: str) -> None:
        self.invoker = invoker
        self.region = region
        self.account_id = account_id
        self._served: dict[str, Served] = {}

    def serve(
        self,
        service: str,
        handlers: Mapping[str, Handler],
        *,
        inline: bool = False,
        model: str | None = None,
    ) -> None:
        """Make ``service``'s operations callable by tasks (the composition root does this for
        every service it builds)."""
        self._served[service] = Served(handlers, inline, model)

    def serve_services(self, services: Iterable[Service]) -> None:
        """``serve`` each service built on ``ModelService`` (directly or as its ``protocol``)
        by its model's name (Lambda's ``calls=True`` handlers through ``_called``), and
        DynamoDB by its operations."""
        for service in services:
            protocol = service if isinstance(service, ModelService) else None
            protocol = protocol or getattr(service, "protocol", None)
            if isinstance(protocol, ModelService):
                name = protocol.model_name  # the name alone: the model loads on first use
                model = name if protocol.validate else None
                handlers = protocol.handlers
                if protocol.calls:
                    handlers = {op: _called(h) for op, h in handlers.items()}
                self.serve(name, handlers, inline=protocol.inline, model=model)
            operations = getattr(service, "operations", None)
            if service.name == "dynamodb" and isinstance(operations, dict):
                self.serve("dynamodb", operations, inline=True)

    # -- Lambda -------------------------------------------------------------------------------

    async def invoke(
        self, function: str, payload: Any, qualifier: str | None = None, trace: str | None = None
    ) -> tuple[Any, str, str]:
        """The function's result, the version that ran and the request id; its error as the
        task's ``Failure``. ``trace``: the execution's X-Ray header, the invocation's too."""
        if self.invoker is None:
            raise StatesError("Lambda.ServiceException", "Lambda is not served by this Lamina")
        name, given = arns.split_function(function)
        request = InvokeRequest(
            function=name,
            payload=fastjson.dumps(payload),
            qualifier=qualifier or given,
            payload_is_json=True,
            trace_id=trace,
        )
        try:
            result = await self.invoker.invoke(request)
        except AwsError as exc:
            raise StatesError(f"Lambda.{exc.code}", exc.message) from None
        text = result.payload.decode("utf-8", "replace")
        if result.function_error:
            raise StatesError(result.error_type or "Lambda.Unknown", text)
        try:
            value = fastjson.loads(text) if text else None
        except ValueError:
            value = text
        return value, result.executed_version, result.request_id

    async def lambda_invoke(self, params: Any, trace: str | None = None) -> Any:
        if not isinstance(params, Mapping) or "FunctionName" not in params:
            raise StatesError(
                "States.Runtime", "The field 'FunctionName' is required by lambda:invoke"
            )
        payload = params.get("Payload", {})
        value, version, request_id = await self.invoke(
            str(params["FunctionName"]), payload, params.get("Qualifier"), trace
        )
        headers = {
            "Connection": "keep-alive",
            "Content-Type": "application/json",
            "X-Amz-Executed-Version": version,
            "x-amzn-Remapped-Content-Length": "0",
            "x-amzn-RequestId": request_id,
        }
        return {
            "ExecutedVersion": version,
            "Payload": value,
            "SdkHttpMetadata": {
                "AllHttpHeaders": {k: [v] for k, v in headers.items()},
                "HttpHeaders": headers,
                "HttpStatusCode": 200,
            },
            "SdkResponseMetadata": {"RequestId": request_id},
            "StatusCode": 200,
        }

    # -- services -----------------------------------------------------------------------------

    async def call(self, resource: Resource, params: Any, trace: str | None = None) -> Any:
        """An optimised or SDK integration's result (``trace`` reaches Lambda's invocations)."""
        if resource.kind == "lambda":
            return await self.lambda_invoke(params, trace)
        if resource.kind == "http":
            return await self.http(params)
        sdk = resource.kind.startswith("aws-sdk:")
        given = resource.kind.split(":", 1)[1] if sdk else resource.kind
        service = _SDK_SERVICES.get(given, given)
        if sdk:
            prefix = _SDK_PREFIX.get(given, given[:1].upper() + given[1:])
        else:
            prefix = _PREFIX.get(given, given.upper())
        served = self._served.get(service)
        operation = resource.action[:1].upper() + resource.action[1:]
        handler = served.handlers.get(operation) if served is not None else None
        if served is None or handler is None:
            raise StatesError(
                "States.Runtime",
                f"Lamina does not serve the integration {resource.kind}:{resource.action} yet",
            )
        members = dict(params) if isinstance(params, Mapping) else {}
        if not sdk:
            members = _as_text(service, operation, members)
        if sdk and service == "lambda" and "Payload" in members:
            # Step Functions turns a JSON Payload (or its text) into the blob Lambda reads.
            given_payload = members["Payload"]
            if isinstance(given_payload, str):
                members["Payload"] = given_payload.encode()
            elif not isinstance(given_payload, bytes):
                members["Payload"] = fastjson.dumps(given_payload)
        camel = service == "stepfunctions"
        if camel:
            members = {k[:1].lower() + k[1:]: v for k, v in members.items()}
        try:
            if served.model is not None:
                found = shapes.model(served.model).operation(operation)
                if found is not None and found.input is not None:
                    members = validation.check(found.input, members)
            if asyncio.iscoroutinefunction(handler):
                result = await handler(members)
            elif served.inline:
                result = handler(members)
            else:
                result = await asyncio.to_thread(handler, members)
        except (validation.Invalid, validation.WrongType) as exc:
            raise StatesError(f"{prefix}.ValidationException", str(exc)) from None
        except AwsError as exc:
            raise StatesError(f"{prefix}.{exc.code}", exc.message) from None
        value = fastjson.loads(awsjson.body(result if result is not None else {}))
        if camel and isinstance(value, dict):
            value = {k[:1].upper() + k[1:]: v for k, v in value.items()}
        return value

    async def s3(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """An S3 operation's raw result, called in process (a distributed Map's ItemReader and
        ResultWriter); an S3 error is ``S3.<Code>`` (the caller words it for its state)."""
        served = self._served.get("s3")
        handler = served.handlers.get(operation) if served is not None else None
        if handler is None:
            raise StatesError("States.Runtime", "Lamina does not serve S3 to Step Functions")
        try:
            if asyncio.iscoroutinefunction(handler):
                result = await handler(params)
            else:
                result = await asyncio.to_thread(handler, params)
        except AwsError as exc:
            raise StatesError(f"S3.{exc.code}", exc.message) from None
        return dict(result or {})

    async def http(self, params: Any) -> Any:
        if not isinstance(params, Mapping) or "ApiEndpoint" not in params:
            raise StatesError(
                "States.Runtime", "The field 'ApiEndpoint' is required by http:invoke"
            )
        url = str(params["ApiEndpoint"])
        query = params.get("QueryParameters")
        if query:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(query)
        body = params.get("RequestBody")
        data = None
        if body is not None:
            data = body.encode() if isinstance(body, str) else fastjson.dumps(body)
        headers = {str(k): str(v) for k, v in (params.get("Headers") or {}).items()}
        if data is not None:
            headers.setdefault("Content-Type", "application/json")
        request = urllib.request.Request(
            url, data=data, headers=headers, method=str(params.get("Method", "GET"))
        )

        def send() -> tuple[int, str, dict[str, str], bytes]:
            try:
                with urllib.request.urlopen(request, timeout=60) as answer:
                    return answer.status, answer.reason, dict(answer.headers), answer.read()
            except urllib.error.HTTPError as exc:
                return exc.code, str(exc.reason), dict(exc.headers), exc.read()

        try:
            status, reason, answer_headers, raw = await asyncio.to_thread(send)
        except OSError as exc:
            raise StatesError("States.Http.Socket", str(exc)) from None
        text = raw.decode("utf-8", "replace")
        try:
            response_body: Any = fastjson.loads(text)
        except ValueError:
            response_body = text
        if status >= 400:
            raise StatesError(f"States.Http.StatusCode.{status}", text)
        return {
            "Headers": {k: [v] for k, v in answer_headers.items()},
            "ResponseBody": response_body,
            "StatusCode": status,
            "StatusText": reason,
        }


# Members the optimised integrations take as JSON and the service as text.
_TEXT_MEMBERS = {("sqs", "SendMessage"): "MessageBody", ("sns", "Publish"): "Message"}


def _as_text(service: str, operation: str, members: dict[str, Any]) -> dict[str, Any]:
    """An object where the service wants text (an SQS body, an SNS message, an event's
    Detail) written as JSON, as the optimised integrations do."""
    key = _TEXT_MEMBERS.get((service, operation))
    if key is not None and key in members and not isinstance(members[key], str):
        members[key] = fastjson.dumps_text(members[key])
    if (service, operation) == ("events", "PutEvents"):
        entries = []
        for entry in members.get("Entries") or []:
            if isinstance(entry, Mapping) and not isinstance(entry.get("Detail", ""), str):
                entry = {**entry, "Detail": fastjson.dumps_text(entry["Detail"])}
            entries.append(entry)
        members["Entries"] = entries
    return members


def _called(handler: Handler) -> Handler:
    """A ``calls=True`` handler (Lambda's) made callable with the members alone: its ``Call``
    is a request of no headers from Step Functions, with a request id of its own. A blob in
    the answer (Invoke's ``Payload``) is text, as the aws-sdk integrations return it."""

    async def run(params: dict[str, Any]) -> Any:
        call = Call(Request("POST", "/", "", []), ids.request_id())
        result = handler(params, call)
        if asyncio.iscoroutine(result):
            result = await result
        if isinstance(result, dict):
            result = {
                k: v.decode("utf-8", "replace") if isinstance(v, bytes) else v
                for k, v in result.items()
            }
        return result

    return run
