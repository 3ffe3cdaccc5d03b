"""HTTP APIs, Function URLs, raw ApiGatewayV2/ApiGateway resources and an included OpenAPI file,
beside a REST API in the same template, through a real `lamina up` over real HTTP."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from .support import TEMPLATES, Reply, Running, running

pytestmark = pytest.mark.slow


class _Backend(BaseHTTPRequestHandler):
    """The HTTP_PROXY integration's target: answers with what it received."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        document = {"method": self.command, "path": self.path, "body": body}
        document["forwarded_for"] = self.headers.get("X-Forwarded-For")
        payload = json.dumps(document).encode()
        self.send_response(207)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Backend", "yes")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def lamina(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    backend = ThreadingHTTPServer(("127.0.0.1", 0), _Backend)
    threading.Thread(target=backend.serve_forever, daemon=True).start()
    overrides = {"BackendPort": str(backend.server_address[1])}
    try:
        with running(TEMPLATES / "http", tmp_path_factory.mktemp("state"), overrides) as served:
            yield served
    finally:
        backend.shutdown()
        backend.server_close()


def host_of(lamina: Running, logical_id: str) -> str:
    api = next(a for a in lamina.served.apis if a.logical_id == logical_id)
    return api.urls[-1].split("//")[1].split(":")[0]


def report_of(reply: Reply) -> dict[str, Any]:
    assert reply.status == 200, reply.body
    document: dict[str, Any] = reply.json()
    return document


def test_no_route_is_404_not_found(lamina: Running) -> None:
    """An HTTP API without a matching route answers 404 {"message":"Not Found"}, on its own
    host and on the merged port when the path addresses its stage."""
    reply = lamina.get("/v2stage/nowhere", host=host_of(lamina, "CorsApi"))
    assert (reply.status, reply.json()) == (404, {"message": "Not Found"})
    reply = lamina.get("/v2stage/nowhere")
    assert (reply.status, reply.json()) == (404, {"message": "Not Found"})


def test_default_stage_at_root_and_v2_event(lamina: Running) -> None:
    """The $default stage sits at the root; the 2.0 event has rawPath, rawQueryString,
    routeKey, lower-case headers, comma-joined repeats, cookies, http.* and time fields."""
    reply = lamina.get(
        "/items/42?a=1&a=2&b=3",
        headers={"Cookie": "c1=v1; c2=v2", "X-Multi": "one", "User-Agent": "agent/1"},
    )
    report = report_of(reply)
    event = report["event"]
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /items/{id}"
    assert event["rawPath"] == "/items/42"
    assert event["rawQueryString"] == "a=1&a=2&b=3"
    assert event["queryStringParameters"] == {"a": "1,2", "b": "3"}
    assert event["pathParameters"] == {"id": "42"}
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert "cookie" not in event["headers"]
    assert event["headers"]["x-multi"] == "one"
    assert event["headers"]["x-forwarded-proto"] == "http"
    assert all(name == name.lower() for name in event["headers"])
    context = event["requestContext"]
    assert context["stage"] == "$default"
    assert context["http"] == {
        "method": "GET",
        "path": "/items/42",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "agent/1",
    }
    assert context["routeKey"] == "GET /items/{id}"
    assert context["requestId"] == reply.header("apigw-requestid")
    assert isinstance(context["timeEpoch"], int)
    assert "operationName" not in context
    # One trace; a sampled one names the function's own segment as its Parent (as on Lambda).
    assert report["trace"].split(";")[0] == event["headers"]["x-amzn-trace-id"].split(";")[0]
    bare = report_of(lamina.get("/items/7"))["event"]
    for key in ("queryStringParameters", "cookies", "body", "stageVariables"):
        assert key not in bare, key


def test_static_route_beats_parameter_and_default_catches_the_rest(lamina: Running) -> None:
    """/items/fixed beats /items/{id}; the $default route catches unmatched requests."""
    assert report_of(lamina.get("/items/fixed"))["event"]["routeKey"] == "GET /items/fixed"
    caught = report_of(lamina.request("DELETE", "/something/else"))["event"]
    assert caught["routeKey"] == "$default"


def test_named_stage_and_stage_variables(lamina: Running) -> None:
    """A named HTTP API stage is the first path segment; its StageVariables arrive."""
    event = report_of(lamina.get("/v2stage/cors"))["event"]
    assert event["requestContext"]["stage"] == "v2stage"
    assert event["rawPath"] == "/v2stage/cors"
    assert event["stageVariables"] == {"color": "blue"}


def test_payload_format_1_0_per_integration(lamina: Running) -> None:
    """PayloadFormatVersion 1.0 on one route: a 1.0 event (version says so) with multi-value
    maps, stage $default."""
    event = report_of(lamina.get("/v1?a=1&a=2"))["event"]
    assert event["version"] == "1.0"
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    assert event["requestContext"]["stage"] == "$default"


def test_v2_response_inference(lamina: Running) -> None:
    """No statusCode: 200 with the result as JSON; a string result is the body; statusCode
    "201" works and unknown keys are ignored; a missing body is empty."""
    reply = lamina.get("/nostatus")
    assert reply.status == 200
    assert reply.json() == {"body": "no status code", "extra": 1}
    assert reply.header("content-type") == "application/json"
    reply = lamina.get("/string")
    assert (reply.status, reply.body) == (200, b"just a string")
    reply = lamina.get("/stringstatus")
    assert (reply.status, reply.body) == (201, b"")


def test_cookies_become_set_cookie_headers(lamina: Running) -> None:
    """v2 cookies: one Set-Cookie header each."""
    reply = lamina.get("/cookies")
    assert reply.header_values("Set-Cookie") == ["a=1; Path=/", "b=2"]


def test_binary_bodies_both_ways(lamina: Running) -> None:
    """HTTP API: a non-text request body arrives base64 (a form post too); JSON stays text; a
    base64 result is decoded to bytes."""
    png = b"\x89PNG\x00\xff"
    event = report_of(
        lamina.request("POST", "/anything", body=png, headers={"Content-Type": "image/png"})
    )["event"]
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == png
    form = report_of(
        lamina.request(
            "POST",
            "/anything",
            body=b"a=1",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    )["event"]
    assert form["isBase64Encoded"] is True and base64.b64decode(form["body"]) == b"a=1"
    text = report_of(
        lamina.request(
            "POST", "/anything", body=b'{"a":1}', headers={"Content-Type": "application/json"}
        )
    )["event"]
    assert (text["body"], text["isBase64Encoded"]) == ('{"a":1}', False)
    assert lamina.get("/binary").body == b"\x89PNG\r\n\x1a\n\x00\xff"


def test_errors_of_http_apis(lamina: Running) -> None:
    """Function error: 500 Internal Server Error; integration timeout: 503 Service
    Unavailable; throttled: 500; a missing function: 500."""
    reply = lamina.get("/error")
    assert (reply.status, reply.json()) == (500, {"message": "Internal Server Error"})
    assert b"secret" not in reply.body
    reply = lamina.get("/raw/slow?s=3")
    assert (reply.status, reply.json()) == (503, {"message": "Service Unavailable"})
    assert lamina.get("/throttled").status == 500
    assert lamina.get("/raw/missing").status == 500


def test_cors_preflight_and_actual_responses(lamina: Running) -> None:
    """CorsConfiguration: the gateway answers preflight itself with the configured headers; an
    allowed Origin is echoed on actual responses (with credentials and exposed headers); an
    unknown or absent Origin gets no CORS headers."""
    origin = {"Origin": "https://allowed.example", "Access-Control-Request-Method": "GET"}
    preflight = lamina.request("OPTIONS", "/v2stage/cors", headers=origin)
    assert preflight.status == 204
    assert preflight.header("Access-Control-Allow-Origin") == "https://allowed.example"
    assert preflight.header("Access-Control-Allow-Methods") == "GET,POST"
    assert preflight.header("Access-Control-Allow-Headers") == "x-custom"
    assert preflight.header("Access-Control-Max-Age") == "600"
    assert preflight.header("Access-Control-Allow-Credentials") == "true"
    actual = lamina.get("/v2stage/cors", headers={"Origin": "https://allowed.example"})
    assert actual.header("Access-Control-Allow-Origin") == "https://allowed.example"
    assert actual.header("Access-Control-Expose-Headers") == "x-exposed"
    stranger = lamina.get("/v2stage/cors", headers={"Origin": "https://evil.example"})
    assert stranger.header("Access-Control-Allow-Origin") is None
    assert lamina.get("/v2stage/cors").header("Access-Control-Allow-Origin") is None


def test_own_options_route_wins_over_preflight(lamina: Running) -> None:
    """An OPTIONS route of the API is invoked instead of the generated preflight answer."""
    origin = {"Origin": "https://allowed.example", "Access-Control-Request-Method": "GET"}
    reply = lamina.request("OPTIONS", "/v2stage/own-options", headers=origin)
    assert report_of(reply)["event"]["routeKey"] == "OPTIONS /own-options"


def test_included_openapi_raw_resources_and_rest_beside(lamina: Running) -> None:
    """Routes from an AWS::Include'd OpenAPI file, a raw Resource/Method tree (operationName,
    mock), raw V2 routes, and the REST API of the same template all answer."""
    assert report_of(lamina.get("/inc/included"))["event"]["routeKey"] == "GET /included"
    thing = report_of(lamina.get("/rawstage/things/pen"))["event"]
    assert thing["pathParameters"] == {"thing": "pen"}
    assert thing["requestContext"]["operationName"] == "GetThing"
    created = lamina.request("POST", "/rawstage/things")
    assert (created.status, created.json()) == (201, {"created": True})
    assert report_of(lamina.get("/Prod/rest"))["event"]["version"] == "1.0"


def test_quick_create_api_on_its_host_and_conflict_reported(lamina: Running) -> None:
    """A quick-create API (Target) has a $default route on its $default stage; on the merged
    port its route is hidden by the SAM HTTP API's $default, which is said at start, and its own
    host reaches it."""
    assert any("QuickApi" in w and "hidden" in w for w in lamina.served.warnings)
    reply = lamina.get("/whatever", host=host_of(lamina, "QuickApi"))
    event = report_of(reply)["event"]
    assert event["routeKey"] == "$default"
    assert event["requestContext"]["apiId"] == host_of(lamina, "QuickApi").split(".")[0]


def test_http_proxy_integration(lamina: Running) -> None:
    """HTTP_PROXY forwards method, path parameters, query and body; the backend's status and
    headers come back."""
    reply = lamina.request("PUT", "/raw/backend/a/b?x=1", body=b"payload")
    assert reply.status == 207
    assert reply.header("X-Backend") == "yes"
    assert reply.json() == {
        "method": "PUT",
        "path": "/upstream/a/b?x=1",
        "body": "payload",
        "forwarded_for": "127.0.0.1",
    }


def test_access_log_in_context_format(lamina: Running) -> None:
    """AccessLogSettings.Format of a V2 stage shapes the access log line."""
    reply = lamina.get("/raw/missing")
    request_id = reply.header("apigw-requestid")
    line = next(entry for entry in lamina.access_log if request_id and request_id in entry)
    assert json.loads(line) == {
        "requestId": request_id,
        "routeKey": "GET /missing",
        "status": "500",
    }


def test_function_url_on_its_host_and_under_a_prefix(lamina: Running) -> None:
    """A Function URL answers on {urlId}.lambda-url.localhost and under /_lamina/urls/{Fn}/,
    with a 2.0 event (accountId anonymous, null pathParameters) and its CORS."""
    api = next(a for a in lamina.served.apis if a.kind == "FUNCTION_URL")
    host = api.urls[0].split("//")[1].split(":")[0]
    event = report_of(lamina.get("/some/path?q=1", host=host))["event"]
    assert event["rawPath"] == "/some/path"
    assert event["requestContext"]["accountId"] == "anonymous"
    assert event["pathParameters"] is None and event["stageVariables"] is None
    prefixed = report_of(lamina.get("/_lamina/urls/UrlFunction/other"))["event"]
    assert prefixed["rawPath"] == "/other"
    origin = {"Origin": "https://any.example", "Access-Control-Request-Method": "POST"}
    preflight = lamina.request("OPTIONS", "/x", headers=origin, host=host)
    assert (preflight.status, preflight.header("Access-Control-Allow-Origin")) == (204, "*")
