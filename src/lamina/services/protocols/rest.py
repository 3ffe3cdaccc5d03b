"""The REST protocols, ``rest-json`` (Lambda, Scheduler) and ``rest-xml`` (S3).

The operation is the method and the request URI: ``Routes`` compiles each operation's
``requestUri`` (``/{Bucket}/{Key+}?tagging``: ``{Label}`` one path segment, ``{Label+}`` the rest,
literal query keys required) and tries the most specific first. Only the routes a request could
meet are tried: they are indexed by method, first required query key and first path segment
(when the URI spells it out), so a GetObject tries three of S3's 111 routes, not forty-five.
Members travel where the model says: URI labels, query string, headers (``headers`` maps take
every header with a prefix), the status code, or the body; a structure's ``payload`` member is
the whole body (raw bytes for a blob, text for a string, JSON or XML for a structure). Body
members are JSON (``rest-json``) or the children of the XML root element (``rest-xml``).

Text from URIs, query strings, headers and XML is converted by the member's shape and checked
(``validation``): wrong types and broken constraints are ``ValidationException`` in AWS's
words. Timestamps leave as epoch seconds in JSON bodies, ISO 8601 in XML, HTTP dates in headers.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import re
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from lamina import fastjson
from lamina.net.messages import Request, Response, first_values
from lamina.services.errors import SerializationException, ValidationException
from lamina.services.protocols import awsjson, scalars, shapes, validation, xmlbody
from lamina.services.protocols.shapes import Member, Model, Operation, Shape
from lamina.services.protocols.wire import REST_JSON


@dataclass(frozen=True, slots=True)
class Route:
    name: str
    method: str
    path: re.Pattern[str]
    query_keys: tuple[str, ...]
    # Required header members: S3's CopyObject is PutObject's method and path plus
    # x-amz-copy-source, UploadPartCopy is UploadPart's.
    headers: tuple[str, ...]
    # A deprecated operation that shares its method and URI with its successor loses to it
    # (S3's PutBucketLifecycle and PutBucketLifecycleConfiguration).
    deprecated: bool
    # The URI's first path segment when it is literal (Lambda's ``2015-03-31``), else None.
    segment: str | None


@dataclass(frozen=True, slots=True)
class _Inputs:
    """An operation's input members outside the body, by location: (name, member) pairs."""

    # Labels and headers carry whether the member is plain text (a string, taken as it is).
    labels: tuple[tuple[str, str, Member, bool], ...]  # with the label's regex group
    query: tuple[tuple[str, Member], ...]
    query_map: str | None  # the member that takes every other query parameter
    # With the header's name lower-cased, as ``Request.index`` keys it.
    headers: tuple[tuple[str, str, Member, bool], ...]
    prefixed: tuple[tuple[str, Member], ...]  # ``headers`` maps: every header with a prefix


def _plain(member: Member) -> bool:
    return member.shape.kind == "string" and not member.json_value


def _route(operation: Operation) -> Route:
    path, _, query = operation.request_uri.partition("?")
    parts = re.split(r"\{([^}]+)\}", path)
    regex = ""
    for i, part in enumerate(parts):
        if i % 2 == 0:
            regex += re.escape(part)
        elif part.endswith("+"):
            regex += f"(?P<{_group(part[:-1])}>.+)"
        else:
            regex += f"(?P<{_group(part)}>[^/]+)"
    keys = tuple(k.split("=", 1)[0] for k in query.split("&") if k)
    shape = operation.input
    headers = tuple(
        shape.members[n].wire_name
        for n in (shape.required if shape is not None else ())
        if shape is not None and shape.members[n].location == "header"
    )
    pattern = re.compile(regex + "/?")
    first = path.split("/", 2)[1] if path.startswith("/") else None
    segment = first if first is not None and "{" not in first else None
    return Route(
        operation.name, operation.method, pattern, keys, headers, operation.deprecated, segment
    )


def _group(label: str) -> str:
    return "L_" + re.sub(r"\W", "_", label)


def _place(candidate: tuple[int, Route]) -> int:
    return candidate[0]


def _specificity(route: Route) -> tuple[int, int, int, int, bool]:
    literal = re.sub(r"\(\?P<[^>]+>.*?\)", "", route.path.pattern)
    return (
        -len(route.query_keys),
        -len(route.headers),
        -len(literal),
        route.path.pattern.count("(?P"),
        route.deprecated,
    )


@functools.cache
def routes(model_name: str) -> Routes:
    """The routes of botocore's model ``model_name``, compiled once per process."""
    return Routes(shapes.model(model_name))


class Routes:
    def __init__(self, model: Model) -> None:
        self.model = model
        routes = []
        for name in model.operation_names:
            operation = model.operation(name)
            if operation is not None:
                routes.append(_route(operation))
        routes.sort(key=_specificity)
        self.routes = routes
        self._by_name = {r.name: r for r in routes}
        # Routes by (method, first required query key or "", literal first segment or None),
        # each with its place in ``routes``: a request gathers the few lists its method, query
        # keys and first segment name, and tries them in that order (most specific first).
        self._index: dict[tuple[str, str, str | None], list[tuple[int, Route]]] = {}
        for place, route in enumerate(routes):
            key = (route.method, route.query_keys[0] if route.query_keys else "", route.segment)
            self._index.setdefault(key, []).append((place, route))
        self._inputs: dict[str, _Inputs] = {}

    def _compile(self, name: str, shape: Shape) -> _Inputs:
        """Where ``shape``'s members travel, sorted by location once per operation: a request
        then visits only the members its locations hold (Invoke's hot path among them)."""
        members = shape.members.items()
        maps = [n for n, m in members if m.location == "querystring" and m.shape.kind == "map"]
        inputs = _Inputs(
            labels=tuple(
                (n, _group(m.wire_name), m, _plain(m)) for n, m in members if m.location == "uri"
            ),
            query=tuple(
                (n, m) for n, m in members if m.location == "querystring" and m.shape.kind != "map"
            ),
            query_map=maps[0] if maps else None,
            headers=tuple(
                (n, m.wire_name.lower(), m, _plain(m)) for n, m in members if m.location == "header"
            ),
            prefixed=tuple((n, m) for n, m in members if m.location == "headers"),
        )
        self._inputs[name] = inputs
        return inputs

    def find(self, request: Request) -> str | None:
        """The operation ``request`` names: the most specific route it meets, or None."""
        path = request.path.split("?", 1)[0]
        query = request.query
        keys = (
            {k for k, _ in urllib.parse.parse_qsl(query, keep_blank_values=True)}
            if query
            else set()
        )
        method, index = request.method, self._index
        segment = path.split("/", 2)[1] if path.startswith("/") else None
        candidates: list[tuple[int, Route]] = []
        for key in ("", *keys):
            candidates += index.get((method, key, None), ())
            if segment is not None:
                candidates += index.get((method, key, segment), ())
        if len(candidates) > 1:
            candidates.sort(key=_place)
        for _, route in candidates:
            if (
                route.path.fullmatch(path)
                and all(k in keys for k in route.query_keys)
                and all(request.header(h) is not None for h in route.headers)
            ):
                return route.name
        return None

    def parse(self, request: Request, operation: Operation, protocol: str) -> dict[str, Any]:
        shape = operation.input
        if shape is None:
            return {}
        inputs = self._inputs.get(operation.name) or self._compile(operation.name, shape)
        raw: dict[str, Any] = {}
        if inputs.labels:
            route = self._by_name[operation.name]
            match = route.path.fullmatch(request.path.split("?", 1)[0])
            labels = match.groupdict() if match else {}
            for name, group, member, plain in inputs.labels:
                value = labels.get(group)
                if value is not None:
                    text = urllib.parse.unquote(value)
                    raw[name] = text if plain else _text(member, text)
        if request.query and (inputs.query or inputs.query_map):
            query = urllib.parse.parse_qs(request.query, keep_blank_values=True)
            for name, member in inputs.query:
                values = query.get(member.wire_name)
                if values is not None:
                    if member.shape.kind == "list":
                        raw[name] = [_text(member.shape.member, v) for v in values]
                    else:
                        raw[name] = _text(member, values[0])
            if inputs.query_map is not None:  # a querystring map takes what is left
                bound = {m.wire_name for _, m in inputs.query}
                rest = {k: v[0] for k, v in query.items() if k not in bound}
                if rest:
                    raw[inputs.query_map] = rest
        # S3's PutObject has some forty header members: one dict lookup each.
        index = request.index
        if index is None:
            index = request.index = first_values(request.headers)
        for name, lowered, member, plain in inputs.headers:
            header = index.get(lowered)
            if header is not None:
                raw[name] = header if plain else _header(member, header)
        for name, member in inputs.prefixed:
            prefix = member.wire_name.lower()
            found = {
                k[len(prefix) :]: v for k, v in request.headers if k.lower().startswith(prefix)
            }
            if found:
                raw[name] = found
        raw.update(_body(request, shape, protocol))
        try:
            return validation.check(shape, raw)  # type: ignore[no-any-return]
        except validation.WrongType as exc:
            raise SerializationException(str(exc)) from None
        except validation.Invalid as exc:
            raise ValidationException(str(exc)) from None


def _body(request: Request, shape: Shape, protocol: str) -> dict[str, Any]:
    if shape.payload is not None:
        member = shape.members[shape.payload]
        kind = member.shape.kind
        if kind == "blob":
            return {shape.payload: request.body} if request.body else {}
        if kind == "string":
            return {shape.payload: request.body.decode("utf-8")} if request.body else {}
        if not request.body:
            return {}
        return {shape.payload: _document(request.body, member.shape, protocol)}
    if not request.body or not any(m.location is None for m in shape.members.values()):
        return {}
    members = _document(request.body, shape, protocol)
    if protocol == REST_JSON:
        renamed = {m.wire_name: n for n, m in shape.members.items() if m.wire_name != n}
        return {renamed.get(k, k): v for k, v in members.items()}
    return members  # type: ignore[no-any-return]


def _document(body: bytes, shape: Shape, protocol: str) -> Any:
    if protocol == REST_JSON:
        return awsjson.params(body)
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise SerializationException("The XML you provided was not well-formed.") from None
    return _typed(shape, xmlbody.read(shape, root))


def _typed(shape: Shape, raw: Any) -> Any:
    """XML's text leaves converted to the shape's scalar types."""
    kind = shape.kind
    if kind == "structure" and isinstance(raw, dict):
        return {n: _typed(shape.members[n].shape, v) for n, v in raw.items()}
    if kind == "list" and isinstance(raw, list) and shape.member is not None:
        return [_typed(shape.member.shape, v) for v in raw]
    if kind == "map" and isinstance(raw, dict) and shape.value is not None:
        return {k: _typed(shape.value.shape, v) for k, v in raw.items()}
    if isinstance(raw, str):
        return _convert(shape, raw)
    return raw


def _convert(shape: Shape, text: str) -> Any:
    try:
        return scalars.read_number_or_bool(shape.kind, text)
    except ValueError:
        return text  # the check names it as the wrong type


def _text(member: Member | None, text: str) -> Any:
    return _convert(member.shape, text) if member is not None else text


def _header(member: Member, text: str) -> Any:
    if member.json_value:
        try:
            return fastjson.loads(base64.b64decode(text))
        except ValueError:
            return text
    if member.shape.kind == "list":
        return [part.strip() for part in text.split(",")]
    return _text(member, text)


def serialise(
    result: dict[str, Any],
    operation: Operation,
    request_id: str,
    protocol: str,
    model: Model,
    payload_type: str | None = None,
) -> Response:
    """``result`` as the operation's response; a raw (blob or string) payload leaves labelled
    ``payload_type`` when given (Lambda labels Invoke's payload ``application/json``)."""
    headers = [("x-amzn-RequestId", request_id)]
    status = operation.status
    shape = operation.output
    if shape is None:
        return Response(status, headers, b"")
    body_members: dict[str, Any] = {}
    for name, value in result.items():
        member = shape.members.get(name)
        if member is None or value is None:
            continue
        where = member.location
        if where == "header":
            text = value if type(value) is str and _plain(member) else _header_text(member, value)
            headers.append((member.wire_name, text))
        elif where == "headers":
            headers.extend((member.wire_name + k, str(v)) for k, v in value.items())
        elif where == "statusCode":
            status = int(value)
        elif name != shape.payload:
            body_members[name] = value
    if status == 204 or status == 304:  # HTTP allows these no body (Lambda's DeleteFunction)
        return Response(status, headers, b"")
    if shape.payload is not None:
        member = shape.members[shape.payload]
        value = result.get(shape.payload)
        if value is None:
            return Response(status, headers, b"")
        if member.shape.kind in ("blob", "string"):
            data = value if isinstance(value, bytes) else str(value).encode("utf-8")
            if payload_type is not None:
                headers.append(("Content-Type", payload_type))
            return Response(status, headers, data)
        return _document_response(
            status, headers, member.wire_name, member.shape, value, protocol, model
        )
    if not body_members and protocol != REST_JSON:
        return Response(status, headers, b"")
    root = shape.location_name or f"{operation.name}Result"
    return _document_response(status, headers, root, shape, body_members, protocol, model)


def _document_response(
    status: int,
    headers: list[tuple[str, str]],
    root: str,
    shape: Shape,
    value: dict[str, Any],
    protocol: str,
    model: Model,
) -> Response:
    if protocol == REST_JSON:
        renamed = {n: m.wire_name for n, m in shape.members.items() if m.wire_name != n}
        if renamed:
            value = {renamed.get(k, k): v for k, v in value.items()}
        headers.append(("Content-Type", "application/json"))
        return Response(status, headers, awsjson.body(value))
    namespace = shape.xml_namespace or model.xml_namespace
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    text = f"{xmlbody.DECLARATION}<{root}{xmlns}>{xmlbody.children(shape, value)}</{root}>"
    headers.append(("Content-Type", "application/xml"))
    return Response(status, headers, text.encode("utf-8"))


def _header_text(member: Member, value: Any) -> str:
    if member.json_value:
        return base64.b64encode(fastjson.dumps(value)).decode("ascii")
    kind = member.shape.kind
    if kind == "timestamp":
        form = member.timestamp_format or member.shape.timestamp_format or scalars.HTTP_DATE
        return str(scalars.write_timestamp(value, form))
    if kind == "boolean":
        return scalars.write_bool(bool(value))
    if kind == "list":
        return ",".join(str(v) for v in value)
    if kind == "blob":
        return scalars.write_blob(value)
    if isinstance(value, dt.datetime):
        return str(scalars.write_timestamp(value, scalars.HTTP_DATE))
    return str(value)
