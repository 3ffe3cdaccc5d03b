"""REST non-proxy integrations (``AWS`` to Lambda, ``HTTP``, ``MOCK``): the request and the
answer go through mapping templates, as API Gateway's integration request and response.

Contract of ``Mapped``: built once per stage and route at deploy time, every template compiled
then (``mapping.compile``); never raises per call. One call:

1. the request template is chosen by the request's Content-Type (``application/json`` when it
   has none); without one the passthrough behaviour decides: ``WHEN_NO_MATCH`` passes the body
   through, ``WHEN_NO_TEMPLATES`` only when the integration has no template at all, ``NEVER``
   never: otherwise 415 ``Unsupported Media Type``. ``contentHandling`` converts the body first
   (``CONVERT_TO_TEXT``: a binary body as base64 text; ``CONVERT_TO_BINARY``: base64 text
   decoded). ``requestParameters`` map the method request onto the integration request (HTTP).
2. the backend answers (``Backend``): Lambda (the payload is the event; a function error's
   ``errorMessage`` selects the integration response), HTTP (the status code selects), MOCK (the
   ``statusCode`` of the rendered request selects; no body).
3. the integration response is the first whose selection pattern matches the whole selector,
   else the default; none at all is a 500. Its ``responseParameters`` set the method response's
   headers, its template (chosen by the Accept header, else ``application/json``, else the
   first) the body; without templates the body passes through, ``contentHandling`` converting it.

A template that fails (at deploy or per call) answers 500 ``Internal server error`` with one log
line naming the route and the fault; a request body a template reads as JSON and is not, 400.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

from lamina import fastjson
from lamina.gateway import events, jsonpath, mapping, proxy, responses
from lamina.gateway.events import Call, matches_media, media_type
from lamina.gateway.integrations.lambdaproxy import LambdaProxy
from lamina.model.apis import (
    Api,
    ContentHandling,
    IntegrationResponse,
    Passthrough,
    Route,
    Stage,
)
from lamina.net.messages import Response

log = logging.getLogger("lamina.gateway")
JSON = "application/json"


@dataclass(slots=True)
class Outcome:
    """What a backend answered: the selector of the integration response (status code, or a
    Lambda function's errorMessage), the headers and the body."""

    selector: str
    headers: list[tuple[str, str]]
    body: bytes
    # A Lambda function error: its errorMessage selects; without a match the default applies.
    is_error: bool = False


@dataclass(slots=True)
class Outgoing:
    """The integration request: the rendered body and the mapped parameters."""

    body: bytes
    content_type: str
    path: dict[str, str]
    query: list[tuple[str, str]]
    headers: list[tuple[str, str]]


class Backend(Protocol):
    function: str | None

    async def send(self, call: Call, outgoing: Outgoing) -> Outcome | Response: ...


class LambdaBackend:
    """``AWS`` to Lambda: the integration request's body is the event."""

    __slots__ = ("_proxy", "function")

    def __init__(self, proxy: LambdaProxy) -> None:
        self._proxy = proxy
        self.function: str | None = proxy.function

    async def send(self, call: Call, outgoing: Outgoing) -> Outcome | Response:
        result = await self._proxy.invoke(call, outgoing.body or b"{}", is_json=False)
        if isinstance(result, Response):
            return result
        if not result.function_error:
            return Outcome("", [], result.payload)
        message = ""
        try:
            document = fastjson.loads(result.payload or b"null")
            if isinstance(document, dict):
                message = str(document.get("errorMessage") or "")
        except ValueError:
            message = result.payload.decode("utf-8", "replace")
        return Outcome(message, [], result.payload, is_error=True)


class HttpBackend:
    """``HTTP``: the integration request sent to the URL (path placeholders from
    ``integration.request.path.*``)."""

    __slots__ = ("_kind", "_method", "_timeout_s", "_uri", "_where", "function")

    def __init__(self, api: Api, route: Route, uri: str) -> None:
        self.function: str | None = None
        self._uri = uri
        self._method = route.integration.http_method
        self._timeout_s = route.integration.timeout_s
        self._kind = api.kind
        self._where = f"{api.logical_id} {route.key}"

    async def send(self, call: Call, outgoing: Outgoing) -> Outcome | Response:
        query = urlencode(outgoing.query)
        url = proxy.target_url(self._uri, outgoing.path, query)
        headers = [*outgoing.headers, ("Content-Type", outgoing.content_type)]
        try:
            answer = await proxy.forward(
                url, self._method or call.request.method, headers, outgoing.body, self._timeout_s
            )
        except TimeoutError:
            log.warning("%s: %s timed out after %.0f s", url, self._where, self._timeout_s)
            return responses.timed_out(self._kind)
        except OSError as exc:
            log.error("%s: cannot send to %s: %s", self._where, url, exc)
            return responses.integration_failed(self._kind)
        return Outcome(str(answer.status), answer.headers, answer.body)


class MockBackend:
    """``MOCK``: the rendered request's ``statusCode`` selects; nothing is called."""

    __slots__ = ("function",)

    def __init__(self) -> None:
        self.function: str | None = None

    async def send(self, call: Call, outgoing: Outgoing) -> Outcome | Response:
        status = 200
        try:
            document = fastjson.loads(outgoing.body) if outgoing.body.strip() else {}
            if isinstance(document, dict) and "statusCode" in document:
                status = int(document["statusCode"])
        except (ValueError, TypeError):
            return responses.integration_failed(call.match.api.kind)
        return Outcome(str(status), [], b"")


def unsupported_media() -> Response:
    return responses.error(415, "Unsupported Media Type", "UnsupportedMediaTypeException")


def _internal_error() -> Response:
    return responses.error(500, "Internal server error", "InternalServerErrorException")


@dataclass(frozen=True, slots=True)
class _Compiled:
    """An integration response with its templates compiled (or the fault that stops one)."""

    spec: IntegrationResponse
    pattern: re.Pattern[str] | None
    templates: dict[str, mapping.Template | str]


def _compiled(text: str, where: str) -> mapping.Template | str:
    """A compiled template, or the fault (logged once here, and per call when used)."""
    try:
        return mapping.compile(text, where)
    except mapping.TemplateError as exc:
        log.error("%s", exc)
        return str(exc)


class Mapped:
    """One route's non-proxy integration on one stage (see the module's contract)."""

    __slots__ = (
        "_backend",
        "_binary",
        "_content_handling",
        "_parameters",
        "_passthrough",
        "_request_templates",
        "_responses",
        "_stage",
        "_where",
        "function",
    )

    def __init__(self, backend: Backend, api: Api, route: Route, stage: Stage) -> None:
        spec = route.integration
        self._backend = backend
        self.function = backend.function
        self._where = f"{api.logical_id} {route.key}"
        self._binary = api.binary_media_types
        self._stage = mapping.java(dict(stage.variables))
        self._passthrough = spec.passthrough
        self._content_handling = spec.content_handling
        self._parameters = dict(spec.request_parameters)
        self._request_templates = {
            media.lower(): _compiled(text, f"{self._where}: request template {media}")
            for media, text in spec.request_templates.items()
        }
        self._responses = tuple(
            _Compiled(
                response,
                re.compile(response.pattern, re.DOTALL) if response.pattern is not None else None,
                {
                    media.lower(): _compiled(
                        text, f"{self._where}: response template {response.status} {media}"
                    )
                    for media, text in response.templates.items()
                },
            )
            for response in spec.responses
        )

    async def __call__(self, call: Call, /) -> Response:
        request = call.request
        media = media_type(request.header("content-type")) or JSON
        template = self._request_templates.get(media)
        if template is None and (
            self._passthrough is Passthrough.NEVER
            or (self._passthrough is Passthrough.WHEN_NO_TEMPLATES and self._request_templates)
        ):
            return unsupported_media()
        body = _convert(
            request.body, self._content_handling, matches_media(media, self._binary), media
        )
        params = _params(call)
        if template is not None:
            rendered = self._render(template, call, params, body)
            if isinstance(rendered, Response):
                return rendered
            body = rendered.encode()
        outgoing = self._outgoing(call, body, media, template is not None)
        outcome = await self._backend.send(call, outgoing)
        if isinstance(outcome, Response):
            return outcome
        return self._answer(call, outcome, params)

    def _render(
        self, template: mapping.Template | str, call: Call, params: mapping.JavaMap, body: bytes
    ) -> str | Response:
        """``template`` rendered with ``body`` as ``$input``; a fault answers 500 (logged)."""
        if isinstance(template, str):
            log.error("%s", template)
            return _internal_error()
        variables = {
            "input": mapping.Input(body.decode("utf-8", "replace"), params),
            "util": mapping.UTIL,
            "stageVariables": self._stage,
        }
        if template.uses_context:
            variables["context"] = LazyContext(call)
        try:
            return template.render(variables)
        except mapping.PayloadError as exc:
            return responses.error(400, str(exc), "BadRequestException")
        except mapping.TemplateError as exc:
            log.error("%s", exc)
            return _internal_error()

    def _outgoing(self, call: Call, body: bytes, media: str, templated: bool) -> Outgoing:
        path: dict[str, str] = {}
        query: list[tuple[str, str]] = []
        headers: list[tuple[str, str]] = []
        for target, source in self._parameters.items():
            where, _, name = target.removeprefix("integration.request.").partition(".")
            value = _source(call, source)
            if value is None:
                continue
            if where == "path":
                path[name] = value
            elif where == "querystring":
                query.append((name, value))
            elif where == "header":
                headers.append((name, value))
        # API Gateway sends a rendered body as JSON unless the template's type says otherwise.
        content_type = media if templated or call.request.header("content-type") else JSON
        return Outgoing(body, content_type, path, query, headers)

    def _select(self, outcome: Outcome) -> _Compiled | None:
        default = None
        for response in self._responses:
            if response.pattern is None:
                default = default or response
            elif response.pattern.fullmatch(outcome.selector):
                return response
        return default

    def _answer(self, call: Call, outcome: Outcome, params: mapping.JavaMap) -> Response:
        chosen = self._select(outcome)
        if chosen is None:
            log.error("%s: no integration response matches %r", self._where, outcome.selector)
            return _internal_error()
        headers: list[tuple[str, str]] = []
        for target, source in chosen.spec.parameters.items():
            name = target.removeprefix("method.response.header.")
            if name == target:
                continue
            value = _response_source(call, source, outcome)
            if value is not None:
                headers.append((name, value))
        body = outcome.body
        content_type: str | None = None
        template = _by_accept(chosen.templates, call.request.header("accept"))
        handling = chosen.spec.content_handling
        if template is not None and handling is not ContentHandling.CONVERT_TO_BINARY:
            media, compiled = template
            rendered = self._render(compiled, call, params, body)
            if isinstance(rendered, Response):
                return rendered
            body, content_type = rendered.encode(), media
        else:
            body = _convert(body, handling, False, "")
        if not any(name.lower() == "content-type" for name, _ in headers):
            headers.append(("Content-Type", content_type or JSON))
        return Response(chosen.spec.status, headers, body)


def _convert(body: bytes, handling: ContentHandling | None, binary: bool, media: str) -> bytes:
    """A payload as ``contentHandling`` wants it: CONVERT_TO_TEXT turns binary into base64
    text, CONVERT_TO_BINARY turns base64 text into bytes (a payload that is not base64 is
    passed as it is)."""
    if handling is ContentHandling.CONVERT_TO_TEXT and (binary or not media):
        return base64.b64encode(body)
    if handling is ContentHandling.CONVERT_TO_BINARY and not binary:
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return body
    return body


def _params(call: Call) -> mapping.JavaMap:
    request = call.request
    header: dict[str, str] = {}
    for name, value in request.headers:
        header[name] = f"{header[name]},{value}" if name in header else value
    query = dict(events.query_pairs(request.query))
    return mapping.params_of(call.match.path_parameters, query, header)


def _literal(source: str) -> str | None:
    if len(source) >= 2 and source[0] == source[-1] == "'":
        return source[1:-1]
    return None


# $context fields a template may read without the whole request context being built.
_CHEAP: dict[str, Any] = {
    "stage": lambda c: c.match.stage.name,
    "requestId": lambda c: c.request_id,
    "apiId": lambda c: c.match.api.id,
    "httpMethod": lambda c: c.request.method,
    "resourcePath": lambda c: c.match.route.path,
    "accountId": lambda c: c.account_id,
}


_ABSENT = object()


class LazyContext(dict[str, Any]):
    """``$context`` of one call, built when a template first reads beyond its cheap fields
    (``stage``, ``requestId``...: most templates read only those, and the whole request
    context is a tenth of a mapped call's cost). Reads the whole of it like a dict."""

    __slots__ = ("_call", "_full")

    def __init__(self, call: Call) -> None:
        super().__init__()
        self._call = call
        self._full = False

    def __missing__(self, key: str) -> Any:
        cheap = _CHEAP.get(key)
        if cheap is not None:
            value = self[key] = cheap(self._call)
            return value
        self._fill()
        value = dict.get(self, key, _ABSENT)  # dict.__getitem__ would come back here
        if value is _ABSENT:
            raise KeyError(key)
        return value

    def _fill(self) -> None:
        if not self._full:
            self._full = True
            self.update(events.request_context(self._call))

    def __iter__(self) -> Any:
        self._fill()
        return dict.__iter__(self)

    def __len__(self) -> int:
        self._fill()
        return dict.__len__(self)

    def __contains__(self, key: object) -> bool:
        self._fill()
        return dict.__contains__(self, key)

    def __str__(self) -> str:
        self._fill()
        return dict.__repr__(self)

    __repr__ = __str__

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def keys(self) -> Any:
        self._fill()
        return dict.keys(self)

    def items(self) -> Any:
        self._fill()
        return dict.items(self)

    def values(self) -> Any:
        self._fill()
        return dict.values(self)


mapping.like_map(LazyContext)


def _common_source(call: Call, source: str) -> str | None:
    """A value both mappings accept: ``'literal'``, ``context.x``, ``stageVariables.x``."""
    literal = _literal(source)
    if literal is not None:
        return literal
    if source.startswith("stageVariables."):
        return call.match.stage.variables.get(source.removeprefix("stageVariables."))
    if source.startswith("context."):
        value: Any = events.request_context(call)
        for part in source.removeprefix("context.").split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return None if value is None else str(value)
    return None


def _source(call: Call, source: str) -> str | None:
    """The value of one ``requestParameters`` source: ``method.request.{path, querystring,
    header}.name``, ``method.request.body[.JSONPath]`` or a common source."""
    request = call.request
    if source.startswith("method.request.path."):
        return call.match.path_parameters.get(source.removeprefix("method.request.path."))
    if source.startswith("method.request.querystring."):
        name = source.removeprefix("method.request.querystring.")
        return next((v for k, v in events.query_pairs(request.query) if k == name), None)
    if source.startswith("method.request.header."):
        return request.header(source.removeprefix("method.request.header."))
    if source.startswith("method.request.body"):
        return _body_at(request.body, source.removeprefix("method.request.body"))
    return _common_source(call, source)


def _response_source(call: Call, source: str, outcome: Outcome) -> str | None:
    """The value of one ``responseParameters`` source: ``integration.response.header.name``,
    ``integration.response.body[.JSONPath]`` or a common source."""
    if source.startswith(
        ("integration.response.header.", "integration.response.multivalueheader.")
    ):
        name = source.rsplit(".", 1)[1].lower()
        values = [v for n, v in outcome.headers if n.lower() == name]
        return ",".join(values) if values else None
    if source.startswith("integration.response.body"):
        return _body_at(outcome.body, source.removeprefix("integration.response.body"))
    return _common_source(call, source)


def _body_at(body: bytes, path: str) -> str | None:
    """The body itself (``path`` empty) or the JSON at ``$<path>`` in it, as text."""
    if not path:
        return body.decode("utf-8", "replace")
    try:
        found = jsonpath.parse("$" + path).find(fastjson.loads(body or b"{}"))
    except ValueError:
        return None
    if found is jsonpath.MISSING or found is None:
        return None
    return found if isinstance(found, str) else fastjson.dumps_text(found)


def _by_accept(
    templates: Mapping[str, mapping.Template | str], accept: str | None
) -> tuple[str, mapping.Template | str] | None:
    """The response template for the client's Accept header, else ``application/json``'s,
    else the first."""
    if not templates:
        return None
    for part in (accept or "").split(","):
        media = media_type(part)
        if media in templates:
            return media, templates[media]
    if JSON in templates:
        return JSON, templates[JSON]
    return next(iter(templates.items()))
