"""What the client gets: a function's result mapped as API Gateway maps it, and API Gateway's own
error answers.

Pure. Payload format 1.0 is strict: the result must be an object with a ``statusCode``, else the
client gets 502 (REST) or 500 (HTTP API). Format 2.0 infers: anything without a ``statusCode``
is a 200 ``application/json`` answer whose body is the result. Errors by product (REST API;
HTTP API; Function URL where it differs):

* no route: 403 ``Missing Authentication Token``; 404 ``Not Found``.
* a custom domain with no base path mapping the path: 403 ``Forbidden``; 404 ``Not Found``.
* function error or unusable result: 502 ``Internal server error``; 500 ``Internal Server
  Error`` (Function URL 502).
* integration timeout: 504 ``Endpoint request timed out``; 503 ``Service Unavailable``.
* Lambda refuses the invocation (throttled, missing): 500 (Function URL: 429 when throttled).
* an event over Lambda's 6 MB: 413 ``Request Too Long``.
* a header name or value holding CR, LF or NUL (response splitting): as an unusable result.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from lamina import fastjson
from lamina.gateway.events import matches_media, media_type
from lamina.model.apis import ApiKind
from lamina.net.messages import Request, Response

JSON = "application/json"
# What a header value may not hold (RFC 9110: no CR, LF or NUL), and a header name (no control
# character, space or colon, and not empty).
_UNSAFE = re.compile(r"[\r\n\0]")
_UNSAFE_NAME = re.compile(r"[\x00-\x20:\x7f]|^$")


class MalformedResult(ValueError):
    """The function's result is not a proxy response API Gateway can use."""


def error(
    status: int, message: str, error_type: str | None = None, key: str = "message"
) -> Response:
    headers = [("Content-Type", JSON)]
    if error_type:
        headers.append(("x-amzn-ErrorType", error_type))
    return Response(status, headers, fastjson.spaced({key: message}).encode())


def no_route(kind: ApiKind) -> Response:
    if kind is ApiKind.REST:
        return error(403, "Missing Authentication Token", "MissingAuthenticationTokenException")
    return error(404, "Not Found")


def unmapped(kind: ApiKind) -> Response:
    """A custom domain none of whose base paths maps the request's path."""
    if kind is ApiKind.REST:
        return error(403, "Forbidden", "ForbiddenException")
    return error(404, "Not Found")


def integration_failed(kind: ApiKind) -> Response:
    """A function error or a result API Gateway cannot read."""
    if kind is ApiKind.REST:
        return error(502, "Internal server error", "InternalServerErrorException")
    return error(502 if kind is ApiKind.FUNCTION_URL else 500, "Internal Server Error")


def lambda_rejected(kind: ApiKind) -> Response:
    """Lambda refused the invocation (not found, throttled, cannot run): API Gateway says 500."""
    if kind is ApiKind.REST:
        return error(500, "Internal server error", "InternalServerErrorException")
    return error(500, "Internal Server Error")


def throttled(kind: ApiKind) -> Response:
    if kind is ApiKind.FUNCTION_URL:
        return error(429, "Rate Exceeded.", "TooManyRequestsException", key="Message")
    return lambda_rejected(kind)


def timed_out(kind: ApiKind) -> Response:
    if kind is ApiKind.REST:
        return error(504, "Endpoint request timed out", "IntegrationTimeout")
    return error(503, "Service Unavailable")


def too_large(kind: ApiKind) -> Response:
    return error(413, "Request Too Long", "BadRequestException")


def _status(value: Any) -> int:
    if isinstance(value, bool):
        raise MalformedResult(f"statusCode must be a number, got {value!r}")
    try:
        status = int(value)
    except (TypeError, ValueError):
        raise MalformedResult(f"statusCode must be a number, got {value!r}") from None
    if not 100 <= status <= 599:
        raise MalformedResult(f"statusCode {status} is not an HTTP status")
    return status


def _text(value: Any, what: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise MalformedResult(f"{what} must be a string, got {type(value).__name__}")


def _header_list(document: dict[str, Any]) -> list[tuple[str, str]]:
    """``headers`` and ``multiValueHeaders`` merged as API Gateway merges them: for a name in
    both, the multi values, then the single value unless it is already among them."""
    headers = document.get("headers") or {}
    multi = document.get("multiValueHeaders") or {}
    if not isinstance(headers, dict) or not isinstance(multi, dict):
        raise MalformedResult("headers and multiValueHeaders must be objects")
    merged: list[tuple[str, str]] = []
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedResult(f"multiValueHeaders.{name} must be a list")
        merged += [(str(name), _text(v, f"multiValueHeaders.{name}")) for v in values]
    for name, value in headers.items():
        if value is None:
            continue
        text = _text(value, f"headers.{name}")
        if name in multi and text in [v for n, v in merged if n == name]:
            continue
        merged.append((str(name), text))
    return merged


def _body(document: dict[str, Any], decode: bool) -> bytes:
    body = document.get("body")
    if body is None:
        return b""
    text = _text(body, "body") if not isinstance(body, dict | list) else fastjson.spaced(body)
    if decode:
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedResult("isBase64Encoded is true but body is not base64") from None
    return text.encode()


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _finish(status: int, headers: list[tuple[str, str]], body: bytes) -> Response:
    typed = False
    for name, value in headers:
        # A CR or LF would let a function's header end the head and forge another response.
        if _UNSAFE.search(value) or _UNSAFE_NAME.search(name):
            raise MalformedResult(f"header {name!r} holds a control character or separator")
        if not typed and name.lower() == "content-type":
            typed = True
    if not typed:
        headers.append(("Content-Type", JSON))
    return Response(status, headers, body)


def from_v1(
    payload: bytes, kind: ApiKind, binary_media_types: tuple[str, ...], request: Request
) -> Response:
    """A format 1.0 result. REST returns a base64 body as bytes only when the response's
    Content-Type (or the request's first Accept type) is one of the API's binary media types;
    HTTP APIs always decode it. Raises ``MalformedResult``."""
    try:
        document = fastjson.loads(payload)
    except ValueError:
        raise MalformedResult("the result is not JSON") from None
    if not isinstance(document, dict) or "statusCode" not in document:
        raise MalformedResult("the result must be an object with a statusCode")
    status = _status(document["statusCode"])
    headers = _header_list(document)
    encoded = _flag(document.get("isBase64Encoded"))
    if encoded and kind is ApiKind.REST:
        content_type = next((v for n, v in headers if n.lower() == "content-type"), None)
        accept = (request.header("accept") or "").split(",", 1)[0]
        encoded = matches_media(media_type(content_type), binary_media_types) or matches_media(
            media_type(accept), binary_media_types
        )
    return _finish(status, headers, _body(document, encoded))


def from_v2(payload: bytes) -> Response:
    """A format 2.0 result, inferred when it has no ``statusCode``. Raises ``MalformedResult``."""
    try:
        document = fastjson.loads(payload)
    except ValueError:
        raise MalformedResult("the result is not JSON") from None
    if not isinstance(document, dict) or "statusCode" not in document:
        if isinstance(document, str):
            return _finish(200, [], document.encode())
        return _finish(200, [], payload)
    status = document["statusCode"]
    if type(status) is not int or not 100 <= status <= 599:
        status = _status(status)
    headers = document.get("headers") or {}
    if not isinstance(headers, dict):
        raise MalformedResult("headers must be an object")
    pairs = (
        [
            (n, v) if type(v) is str else (str(n), _text(v, f"headers.{n}"))
            for n, v in headers.items()
            if v is not None
        ]
        if headers
        else []
    )
    cookies = document.get("cookies")
    if cookies:
        if not isinstance(cookies, list):
            raise MalformedResult("cookies must be a list of strings")
        pairs += [("Set-Cookie", _text(c, "cookies")) for c in cookies]
    body = document.get("body")
    if type(body) is str and not document.get("isBase64Encoded"):
        # The common answer: a text body.
        return _finish(status, pairs, body.encode())
    return _finish(status, pairs, _body(document, _flag(document.get("isBase64Encoded"))))
