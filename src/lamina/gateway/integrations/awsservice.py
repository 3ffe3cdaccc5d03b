"""REST ``AWS`` integrations to AWS services other than Lambda: SQS, SNS, DynamoDB, EventBridge,
Step Functions, S3.

The integration request (rendered by ``mapped.Mapped``) is sent to Lamina's own service, in
process, as that service's clients send it, through ``ServiceCall``, the seam ``app/`` injects
(the gateway may not import services). The URI's two forms:

* ``arn:aws:apigateway:{region}:{service}:action/{Action}``: JSON services (DynamoDB,
  EventBridge) get ``X-Amz-Target``, query services (SQS, SNS) ``Action={Action}`` in the query
  string beside the mapped ``integration.request.querystring.*``;
* ``arn:aws:apigateway:{region}:{service}:path/{path}``: the request goes to that path (SQS's
  ``path/{account}/{queue}`` with a form-encoded ``Action=SendMessage&...`` body; S3's
  ``path/{bucket}/{key}`` with the integration's HTTP method and the body as it is). ``{name}``
  in the path is the mapped ``integration.request.path.name``, URL-encoded.

The service's answer (status, headers, body) then selects and maps the integration response as
an HTTP integration's does. Services are named by ``SERVED``; any other is refused at deploy.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from urllib.parse import quote, urlencode

from lamina.gateway import responses
from lamina.gateway.events import Call
from lamina.gateway.integrations.mapped import Outcome, Outgoing
from lamina.model.apis import Api, Route
from lamina.net.messages import Request, Response

log = logging.getLogger("lamina.gateway")

# service (as in the URI) -> (X-Amz-Target prefix, Content-Type) for JSON services; None for
# query services.
SERVED: dict[str, tuple[str, str] | None] = {
    "sqs": None,
    "sns": None,
    "dynamodb": ("DynamoDB_20120810", "application/x-amz-json-1.0"),
    "events": ("AWSEvents", "application/x-amz-json-1.1"),
    "states": ("AWSStepFunctions", "application/x-amz-json-1.0"),
    "s3": None,
}
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
FORM = "application/x-www-form-urlencoded"

# (signing service name, request) -> the service's answer; injected by app/.
ServiceCall = Callable[[str, Request], Awaitable[Response]]


def parse_uri(uri: str) -> tuple[str, str, str] | None:
    """``arn:aws:apigateway:{region}:{service}:{action|path}/{rest}`` -> (service, form, rest)."""
    parts = uri.split(":", 5)
    if len(parts) != 6 or parts[:3] != ["arn", "aws", "apigateway"]:
        return None
    form, _, rest = parts[5].partition("/")
    if form not in ("action", "path") or not rest:
        return None
    return parts[4], form, rest


class ServiceBackend:
    """One route's integration with an AWS service."""

    __slots__ = ("_call", "_form", "_kind", "_method", "_rest", "_service", "_where", "function")

    def __init__(self, api: Api, route: Route, uri: str, call: ServiceCall) -> None:
        parsed = parse_uri(uri)
        assert parsed is not None and parsed[0] in SERVED, uri  # template/ refused the others
        self._service, self._form, self._rest = parsed
        self._call = call
        self._method = route.integration.http_method or "POST"
        self._kind = api.kind
        self._where = f"{api.logical_id} {route.key}"
        self.function: str | None = None

    async def send(self, call: Call, outgoing: Outgoing) -> Outcome | Response:
        json_service = SERVED[self._service]
        query = list(outgoing.query)
        headers = [(n, v) for n, v in outgoing.headers if n.lower() != "content-type"]
        content_type = next((v for n, v in outgoing.headers if n.lower() == "content-type"), None)
        path = "/"
        if self._form == "path":
            path = "/" + _PLACEHOLDER.sub(
                lambda m: quote(outgoing.path.get(m.group(1), ""), safe=""), self._rest
            )
            if self._service != "s3":  # S3 keeps the object's type, or none
                content_type = content_type or (json_service[1] if json_service else FORM)
        elif json_service is not None:
            headers.append(("X-Amz-Target", f"{json_service[0]}.{self._rest}"))
            content_type = json_service[1]
        else:
            query.insert(0, ("Action", self._rest))
            content_type = content_type or FORM
        if content_type is not None:
            headers.append(("Content-Type", content_type))
        headers.append(("Host", "localhost"))
        request = Request(self._method, path, urlencode(query), headers, outgoing.body)
        try:
            answer = await self._call(self._service, request)
        except Exception:  # the seam must not take the gateway down; the fault is logged
            log.exception("%s: the %s integration failed", self._where, self._service)
            return responses.integration_failed(self._kind)
        return Outcome(str(answer.status), answer.headers, answer.body)
