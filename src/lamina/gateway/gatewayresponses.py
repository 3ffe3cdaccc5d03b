"""Gateway responses: a REST API's own wording of the answers API Gateway gives by itself.

Every refusal the gateway makes carries ``x-amzn-ErrorType`` (``responses``, ``authorizers``,
``apikeys``, ``iam``, ``validation``, the non-proxy integrations); ``response_type`` reads which
gateway response type it is (``UNAUTHORIZED``, ``BAD_REQUEST_BODY``, ``THROTTLED``...). When
the API customises that type, or else ``DEFAULT_4XX``/``DEFAULT_5XX`` for its status class,
``GatewayResponses.apply`` answers with the customised status (or the refusal's own), headers
(``gatewayresponse.header.X`` from ``'literal'``, ``method.request.{header, querystring,
path}.Y``, ``context.Z``, ``stageVariables.W``) and body (the ``application/json`` template,
else the first; none keeps the refusal's body), templates rendered as mapping templates
(``mapping``) with ``$context.error.message``, ``messageString``, ``responseType`` and
``validationErrorString``. Answers from the integration itself are never touched.

Contract: built once per API at deploy (templates compiled then; a broken one is logged and the
refusal keeps its body); ``apply`` never raises.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from lamina import fastjson
from lamina.gateway import events, mapping
from lamina.gateway.events import Call
from lamina.model.apis import Api, GatewayResponse
from lamina.net.messages import Request, Response

log = logging.getLogger("lamina.gateway")

_BY_ERROR_TYPE = {
    "MissingAuthenticationTokenException": "MISSING_AUTHENTICATION_TOKEN",
    "UnauthorizedException": "UNAUTHORIZED",
    "AccessDeniedException": "ACCESS_DENIED",
    "AuthorizerConfigurationException": "AUTHORIZER_CONFIGURATION_ERROR",
    "InvalidSignatureException": "INVALID_SIGNATURE",
    "IncompleteSignatureException": "INVALID_SIGNATURE",
    "UnrecognizedClientException": "INVALID_SIGNATURE",
    "ForbiddenException": "INVALID_API_KEY",
    "UnsupportedMediaTypeException": "UNSUPPORTED_MEDIA_TYPE",
    "IntegrationTimeout": "INTEGRATION_TIMEOUT",
}


def _message(response: Response) -> str:
    try:
        document = fastjson.loads(response.body)
    except ValueError:
        return ""
    if isinstance(document, dict):
        value = document.get("message", document.get("Message"))
        return "" if value is None else str(value)
    return ""


def response_type(response: Response) -> str | None:
    """The gateway response type of a refusal the gateway made, or None for an integration's
    own answer (no ``x-amzn-ErrorType``)."""
    error_type = response.header("x-amzn-ErrorType")
    if error_type is None:
        return None
    known = _BY_ERROR_TYPE.get(error_type)
    if known is not None:
        return known
    if error_type == "TooManyRequestsException":
        return "QUOTA_EXCEEDED" if _message(response) == "Limit Exceeded" else "THROTTLED"
    if error_type == "BadRequestException":
        if response.status == 413:
            return "REQUEST_TOO_LARGE"
        if _message(response).startswith("Missing required request parameters"):
            return "BAD_REQUEST_PARAMETERS"
        return "BAD_REQUEST_BODY"
    if error_type == "InternalServerErrorException" and response.status == 502:
        return "INTEGRATION_FAILURE"
    return "DEFAULT_5XX" if response.status >= 500 else "DEFAULT_4XX"


class _Compiled:
    __slots__ = ("media", "spec", "template")

    def __init__(self, spec: GatewayResponse, where: str) -> None:
        self.spec = spec
        self.media = "application/json"
        self.template: mapping.Template | None = None
        if spec.templates:
            media = "application/json" if "application/json" in spec.templates else None
            self.media = media or next(iter(spec.templates))
            try:
                self.template = mapping.compile(
                    spec.templates[self.media], f"{where}: gateway response {spec.type}"
                )
            except mapping.TemplateError as exc:
                log.error("%s", exc)


class GatewayResponses:
    """One REST API's customised gateway responses."""

    __slots__ = ("_by_type",)

    def __init__(self, api: Api) -> None:
        self._by_type = {
            type_: _Compiled(spec, api.logical_id) for type_, spec in api.gateway_responses.items()
        }

    def __bool__(self) -> bool:
        return bool(self._by_type)

    def apply(self, response: Response, request: Request, call: Call | None) -> Response:
        """``response`` as the API customised its type (see the module's contract)."""
        type_ = response_type(response)
        if type_ is None:
            return response
        chosen = self._by_type.get(type_) or self._by_type.get(
            "DEFAULT_5XX" if response.status >= 500 else "DEFAULT_4XX"
        )
        if chosen is None:
            return response
        headers = [(n, v) for n, v in response.headers if n.lower() != "content-type"]
        for target, source in chosen.spec.parameters.items():
            name = target.removeprefix("gatewayresponse.header.")
            value = _source(source, request, call)
            if name != target and value is not None:
                headers.append((name, value))
        body = response.body
        if chosen.template is not None:
            message = _message(response)
            error = {
                "message": message,
                "messageString": fastjson.dumps_text(message),
                "responseType": type_,
                "validationErrorString": call.validation_error if call else "",
            }
            context: dict[str, Any] = events.request_context(call) if call else {}
            variables = {
                "context": mapping.java({**context, "error": error}),
                "input": mapping.Input("", mapping.params_of({}, {}, {})),
                "util": mapping.UTIL,
                "stageVariables": mapping.java(dict(call.match.stage.variables) if call else {}),
            }
            try:
                body = chosen.template.render(variables).encode()
            except (mapping.TemplateError, mapping.PayloadError) as exc:
                log.error("%s", exc)
        headers.append(("Content-Type", chosen.media))
        return Response(chosen.spec.status or response.status, headers, body)


def _source(source: str, request: Request, call: Call | None) -> str | None:
    if len(source) >= 2 and source[0] == source[-1] == "'":
        return source[1:-1]
    if source.startswith("method.request.header."):
        return request.header(source.removeprefix("method.request.header."))
    if source.startswith("method.request.querystring."):
        name = source.removeprefix("method.request.querystring.")
        return next((v for k, v in events.query_pairs(request.query) if k == name), None)
    if call is None:
        return None
    if source.startswith("method.request.path."):
        return call.match.path_parameters.get(source.removeprefix("method.request.path."))
    if source.startswith("stageVariables."):
        return call.match.stage.variables.get(source.removeprefix("stageVariables."))
    if source.startswith("context."):
        value: Any = events.request_context(call)
        for part in source.removeprefix("context.").split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        return None if value is None else str(value)
    return None
