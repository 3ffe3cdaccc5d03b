"""EventBridge Scheduler's universal targets: ``arn:aws:scheduler:::aws-sdk:SERVICE:ACTION``.

A schedule's ``Input`` is the action's request parameters (the API's own member names); the
target serialises them as that service's SDK clients do (botocore's serialiser for the
service's protocol) and hands the request to Lamina's own service in process, through the same
seam the gateway's AWS integrations use. An answer of 300 or more is a failed delivery (the
schedule's retry policy and dead-letter queue decide what follows); a service or action Lamina
does not serve fails the same way, naming it.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any

from lamina import fastjson
from lamina.delivery import DeliveryError, Message
from lamina.net.messages import Request, Response

# The SDKs' service names in universal targets -> botocore's.
_SERVICES = {"sfn": "stepfunctions", "eventbridge": "events", "cloudwatchlogs": "logs"}
ServiceCall = Callable[[str, Request], Awaitable[Response]]


class UniversalTargets:
    """The ``scheduler`` delivery target: every universal target ARN."""

    def __init__(self, call: ServiceCall) -> None:
        self._call = call
        # botocore's session (about 18 MB and 230 modules) is made on the first universal
        # target's delivery: most sessions have none.
        self._session: Any = None

    async def deliver(self, arn: str, message: Message) -> None:
        import botocore.serialize
        import botocore.session

        service, action = _parse(arn)
        if self._session is None:
            self._session = botocore.session.get_session()
        try:
            model = self._session.get_service_model(service)
            operation = model.operation_model(action[:1].upper() + action[1:])
        except Exception as exc:  # botocore's UnknownServiceError, OperationNotFoundError
            raise DeliveryError(f"{arn}: no such AWS operation ({exc})") from None
        try:
            params = fastjson.loads(message.body) if message.body.strip() else {}
        except ValueError:
            raise DeliveryError(f"{arn}: the schedule's Input is not JSON") from None
        protocol = model.metadata.get("protocol", "json")
        try:
            wire = botocore.serialize.create_serializer(protocol).serialize_to_request(
                params, operation
            )
        except Exception as exc:  # botocore's ParamValidationError and friends
            raise DeliveryError(f"{arn}: {exc}") from None
        body = wire["body"]
        if isinstance(body, dict):
            body = urllib.parse.urlencode(body, doseq=True)
        if isinstance(body, str):
            body = body.encode()
        query = wire.get("query_string") or ""
        if isinstance(query, dict):
            query = urllib.parse.urlencode(query, doseq=True)
        headers = [(str(k), str(v)) for k, v in wire["headers"].items()]
        headers.append(("Host", "localhost"))
        request = Request(wire["method"], wire["url_path"].split("?")[0], query, headers, body)
        signing = model.metadata.get("signingName") or model.metadata.get("endpointPrefix")
        try:
            answer = await self._call(str(signing or service), request)
        except LookupError as exc:
            raise DeliveryError(f"{arn}: {exc}") from None
        if answer.status >= 300:
            text = answer.body[:300].decode("utf-8", "replace")
            raise DeliveryError(f"{arn} answered {answer.status}: {text}")


def _parse(arn: str) -> tuple[str, str]:
    """(botocore's service name, the action) of ``arn:aws:scheduler:::aws-sdk:SERVICE:ACTION``."""
    parts = arn.split(":")
    if len(parts) != 8 or parts[2] != "scheduler" or parts[5] != "aws-sdk":
        raise DeliveryError(f"{arn} is not a universal target (arn:aws:scheduler:::aws-sdk:...)")
    return _SERVICES.get(parts[6], parts[6]), parts[7]
