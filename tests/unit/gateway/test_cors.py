"""CORS of HTTP APIs and Function URLs (pure)."""

from __future__ import annotations

from lamina.gateway.cors import CorsPolicy
from lamina.model.apis import Cors
from lamina.net.messages import Response

from .support import request

POLICY = CorsPolicy(
    Cors(
        allow_origins=("https://a.example", "https://*.b.example"),
        allow_methods=("GET", "POST"),
        allow_headers=("x-h",),
        expose_headers=("x-e",),
        max_age=60,
        allow_credentials=True,
    )
)


def preflight(origin: str) -> list[tuple[str, str]]:
    req = request("OPTIONS", headers=[("Origin", origin), ("Access-Control-Request-Method", "GET")])
    assert POLICY.is_preflight(req)
    response = POLICY.answer_preflight(req)
    assert response.status == 204
    return response.headers


def test_preflight_for_allowed_and_unknown_origins() -> None:
    """An allowed origin (exact or wildcard subdomain) is echoed with the configured headers;
    an unknown one gets none."""
    headers = dict(preflight("https://x.b.example"))
    assert headers["Access-Control-Allow-Origin"] == "https://x.b.example"
    assert headers["Access-Control-Allow-Methods"] == "GET,POST"
    assert headers["Access-Control-Allow-Headers"] == "x-h"
    assert headers["Access-Control-Max-Age"] == "60"
    assert headers["Access-Control-Allow-Credentials"] == "true"
    assert preflight("https://evil.example") == []


def test_actual_response_headers_replace_the_integrations() -> None:
    """Allowed origins get Allow-Origin, credentials and exposed headers; the integration's own
    Access-Control-* headers are dropped; no Origin, no CORS headers."""
    response = Response(200, [("Access-Control-Allow-Origin", "*"), ("X", "1")])
    decorated = POLICY.decorate(request(headers=[("Origin", "https://a.example")]), response)
    assert dict(decorated.headers) == {
        "X": "1",
        "Access-Control-Allow-Origin": "https://a.example",
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Expose-Headers": "x-e",
    }
    bare = POLICY.decorate(request(), Response(200, [("Access-Control-Allow-Origin", "*")]))
    assert bare.headers == []


def test_star_origin() -> None:
    """`*` answers `*` (or the origin itself when credentials are allowed)."""
    assert CorsPolicy(Cors(allow_origins=("*",))).allowed_origin("https://z") == "*"
    credentialed = CorsPolicy(Cors(allow_origins=("*",), allow_credentials=True))
    assert credentialed.allowed_origin("https://z") == "https://z"
