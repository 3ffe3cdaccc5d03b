"""REST APIs through a real `lamina up` (in-process) over real HTTP: the cases of
apigw-behaviours.md that a REST API answers. One deployment serves the whole module."""

from __future__ import annotations

import base64
import concurrent.futures
import hashlib
import http.client
import json
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .support import TEMPLATES, Reply, Running, running

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lamina(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running(TEMPLATES / "rest", tmp_path_factory.mktemp("state")) as served:
        yield served


def event_of(reply: Reply) -> dict[str, Any]:
    assert reply.status == 200, reply.body
    document: dict[str, Any] = reply.json()
    return document


def test_no_route_is_missing_authentication_token(lamina: Running) -> None:
    """A path no REST route answers, and a method the path does not have: 403 as API Gateway."""
    for method, path in (("GET", "/Prod/nowhere"), ("DELETE", "/Prod/echo"), ("GET", "/nowhere")):
        reply = lamina.request(method, path)
        assert reply.status == 403
        assert reply.json() == {"message": "Missing Authentication Token"}


def test_merged_port_also_answers_without_the_stage(lamina: Running) -> None:
    """Like `sam local start-api`, the merged port reaches a REST route without its stage
    segment (/echo as /Prod/echo), with the stage still in the event; the API's own host keeps
    API Gateway's addressing, where the stage segment is required."""
    event = event_of(lamina.get("/echo"))["event"]
    assert event["resource"] == "/echo"
    assert event["requestContext"]["stage"] == "Prod"
    api = next(a for a in lamina.served.apis if a.logical_id == "ServerlessRestApi")
    api_id = api.urls[1].split("//")[1].split(".")[0]
    assert lamina.get("/Prod/echo", host=f"{api_id}.execute-api.localhost").status == 200
    assert lamina.get("/echo", host=f"{api_id}.execute-api.localhost").status == 403


def test_stage_in_path_and_event_basics(lamina: Running) -> None:
    """The implicit API is at /Prod; the event says stage Prod, resource, path below the stage,
    and the request context carries the full path, ids, time and the caller."""
    reply = lamina.get("/Prod/echo?a=1", headers={"User-Agent": "pytest-agent"})
    report = event_of(reply)
    event = report["event"]
    assert event["resource"] == "/echo"
    assert event["path"] == "/echo"
    assert event["httpMethod"] == "GET"
    context = event["requestContext"]
    assert context["stage"] == "Prod"
    assert context["path"] == "/Prod/echo"
    assert context["resourcePath"] == "/echo"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"] == "pytest-agent"
    assert context["requestId"] == reply.header("x-amzn-RequestId")
    assert context["accountId"] == "123456789012"
    assert isinstance(context["requestTimeEpoch"], int)
    assert "operationName" not in context
    assert report["function"].startswith("rest-EchoFunction-")


def test_path_parameters_and_greedy_proxy(lamina: Running) -> None:
    """Several {params} all arrive; {proxy+} takes several segments."""
    event = event_of(lamina.get("/Prod/echo/42/items/pen"))["event"]
    assert event["pathParameters"] == {"id": "42", "item": "pen"}
    assert event["resource"] == "/echo/{id}/items/{item}"
    event = event_of(lamina.get("/Prod/proxypath/this/is/some/path"))["event"]
    assert event["pathParameters"] == {"proxy": "this/is/some/path"}


def test_precedence_static_then_param_then_greedy(lamina: Running) -> None:
    """A static segment beats {param}, which beats {proxy+}; a method the {param} route lacks
    falls to the greedy ANY route."""
    assert event_of(lamina.get("/Prod/static/fixed"))["event"]["resource"] == "/static/fixed"
    assert event_of(lamina.get("/Prod/static/other"))["event"]["resource"] == "/static/{param}"
    assert event_of(lamina.get("/Prod/static/a/b"))["event"]["resource"] == "/static/{proxy+}"
    posted = event_of(lamina.request("POST", "/Prod/static/other"))["event"]
    assert posted["resource"] == "/static/{proxy+}"


def test_trailing_slash_reaches_the_route(lamina: Running) -> None:
    """`/onlysetbody/` reaches `/onlysetbody`."""
    assert event_of(lamina.get("/Prod/onlysetbody/"))["event"]["resource"] == "/onlysetbody"


def test_methods_dispatch_to_their_functions_and_any_answers_all(lamina: Running) -> None:
    """One path, two methods, two functions; ANY answers every method (HEAD without a body)."""
    assert event_of(lamina.get("/Prod/twomethods"))["function"].startswith("rest-EchoFunction-")
    posted = event_of(lamina.request("POST", "/Prod/twomethods", body=b"{}"))
    assert posted["function"].startswith("rest-OtherEchoFunction-")
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        assert event_of(lamina.request(method, "/Prod/anymethod"))["event"]["httpMethod"] == method
    head = lamina.request("HEAD", "/Prod/anymethod")
    assert head.status == 200 and head.body == b""


def test_query_strings_v1(lamina: Running) -> None:
    """Repeated keys: last value in queryStringParameters, all in the multi-value map; absent
    parts are null."""
    event = event_of(lamina.get("/Prod/echo?a=1&a=2&b=x%20y"))["event"]
    assert event["queryStringParameters"] == {"a": "2", "b": "x y"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x y"]}
    bare = event_of(lamina.get("/Prod/echo"))["event"]
    for key in (
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "body",
    ):
        assert bare[key] is None, key
    assert bare["isBase64Encoded"] is False


def test_headers_forwarding_and_trace(lamina: Running) -> None:
    """X-Forwarded-For/Proto/Port are added; repeated headers keep all values in
    multiValueHeaders; a trace id is generated and reaches the function as _X_AMZN_TRACE_ID."""
    report = event_of(lamina.get("/Prod/echo", headers={"X-Forwarded-For": "10.0.0.1"}))
    headers = report["event"]["headers"]
    assert headers["X-Forwarded-For"] == "10.0.0.1, 127.0.0.1"
    assert headers["X-Forwarded-Proto"] == "http"
    assert headers["X-Forwarded-Port"] == str(lamina.port)
    trace = headers["X-Amzn-Trace-Id"]
    assert trace.startswith("Root=1-")
    # One trace; a sampled one names the function's own segment as its Parent (as on Lambda).
    assert report["trace"].split(";")[0] == trace.split(";")[0]
    given = event_of(lamina.get("/Prod/echo", headers={"X-Amzn-Trace-Id": "Root=1-abc-def"}))
    assert given["trace"] == "Root=1-abc-def"


def test_form_posts_pass_as_text_and_binary_types_as_base64(lamina: Running) -> None:
    """REST: a body whose Content-Type is not a binary media type is text; one that matches
    BinaryMediaTypes arrives base64 with isBase64Encoded true."""
    form = lamina.request(
        "POST",
        "/dev/binaryecho",
        body=b"a=1&b=2",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    event = event_of(form)["event"]
    assert (event["body"], event["isBase64Encoded"]) == ("a=1&b=2", False)
    png = b"\x89PNG\x00\xff\xfe"
    binary = lamina.request(
        "POST", "/dev/binaryecho", body=png, headers={"Content-Type": "image/png"}
    )
    event = event_of(binary)["event"]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == png


def test_six_megabyte_body_arrives_intact_and_more_is_413(lamina: Running) -> None:
    """A body just under Lambda's 6 MB limit (event included) is delivered byte for byte; past
    it the client gets 413 Request Too Long; past API Gateway's 10 MB quota, 413 too."""
    body = (b"0123456789abcdef" * 400_000)[: 6 * 1024 * 1024 - 8192]
    reply = lamina.request(
        "POST", "/Prod/digest", body=body, headers={"Content-Type": "text/plain"}
    )
    assert reply.status == 200, reply.body[:200]
    assert reply.json() == {"size": len(body), "sha256": hashlib.sha256(body).hexdigest()}
    over = lamina.request("POST", "/Prod/digest", body=body + b"x" * 16384)
    assert over.status == 413
    assert over.json() == {"message": "Request Too Long"}
    huge = lamina.request("POST", "/Prod/digest", body=b"x" * (10 * 1024 * 1024 + 1))
    assert huge.status == 413


def test_stage_variables_and_operation_name(lamina: Running) -> None:
    """An explicit API's stage and its Variables reach the event; operationId becomes
    requestContext.operationName."""
    event = event_of(lamina.get("/dev/variables"))["event"]
    assert event["requestContext"]["stage"] == "dev"
    assert event["stageVariables"] == {"greeting": "hi"}
    context = event_of(lamina.get("/dev/operation"))["event"]["requestContext"]
    assert context["operationName"] == "EchoOperation"


def test_v1_results_must_have_a_status_code(lamina: Running) -> None:
    """A string, or an object without statusCode: 502 Internal server error."""
    for path in ("/Prod/string", "/Prod/nostatus"):
        reply = lamina.get(path)
        assert reply.status == 502, path
        assert reply.json() == {"message": "Internal server error"}


def test_string_status_code_and_missing_body(lamina: Running) -> None:
    """statusCode "201" is accepted; no body is an empty body; no Content-Type means JSON."""
    reply = lamina.get("/Prod/stringstatus")
    assert (reply.status, reply.body) == (201, b"")
    assert reply.header("content-type") == "application/json"


def test_headers_and_multi_value_headers_merge(lamina: Running) -> None:
    """headers and multiValueHeaders of the result merge: Value1, Value2, Custom."""
    reply = lamina.get("/Prod/multiheaders")
    assert reply.header("MyCustomHeader") == "Value1, Value2, Custom"
    assert reply.body == b"merged"


def test_base64_result_is_binary_for_binary_media_types(lamina: Running) -> None:
    """isBase64Encoded true with a Content-Type in BinaryMediaTypes: the client gets bytes."""
    reply = lamina.get("/dev/binary", headers={"Accept": "image/png"})
    assert reply.body == b"\x89PNG\r\n\x1a\n\x00\xff"


def test_function_error_is_502_and_prints_do_not_leak(lamina: Running) -> None:
    """An unhandled exception: 502 Internal server error, nothing of the function's output."""
    reply = lamina.get("/Prod/error")
    assert reply.status == 502
    assert reply.json() == {"message": "Internal server error"}
    assert b"secret" not in reply.body
    assert any("secret printed output" in log for log in lamina.function_log)


def test_integration_timeout_is_504(lamina: Running) -> None:
    """The integration's timeoutInMillis passes first: 504 Endpoint request timed out."""
    reply = lamina.get("/dev/slow?s=3")
    assert reply.status == 504
    assert reply.json() == {"message": "Endpoint request timed out"}


def test_lambda_timeout_is_a_function_error(lamina: Running) -> None:
    """A Lambda timeout shorter than the integration's: 502."""
    reply = lamina.get("/Prod/lambdatimeout?s=3")
    assert reply.status == 502


def test_missing_function_is_502_with_a_log_line(
    lamina: Running, caplog: pytest.LogCaptureFixture
) -> None:
    """An integration naming a function that does not exist: 502 and a clear log line."""
    with caplog.at_level("ERROR", logger="lamina.gateway"):
        reply = lamina.get("/dev/missing")
    assert reply.status == 502
    assert any("NoSuchFunction" in r.getMessage() for r in caplog.records)


def test_throttled_function_is_500(lamina: Running) -> None:
    """Lambda refusing the invocation (reserved concurrency 0): API Gateway answers 500."""
    reply = lamina.get("/Prod/throttled")
    assert reply.status == 500
    assert reply.json() == {"message": "Internal server error"}


def test_parallel_requests_run_in_parallel_environments(lamina: Running, tmp_path: Path) -> None:
    """Four requests to one function are inside it at the same time (each waits for the
    others), in four different environments."""
    # Outside /tmp: each environment has a /tmp of its own, so they cannot meet there.
    room = Path(tempfile.mkdtemp(dir="/var/tmp", prefix="lamina-room-"))
    room.chmod(0o777)  # (As root, Lamina runs functions as users of their own.)
    path = f"/Prod/barrier?dir={room}&n=4"
    try:
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            replies = list(pool.map(lambda _: lamina.get(path), range(4)))
    finally:
        shutil.rmtree(room, ignore_errors=True)
    assert [r.status for r in replies] == [200] * 4
    assert len({r.json()["pid"] for r in replies}) == 4


def test_mock_integration_and_generated_cors_preflight(lamina: Running) -> None:
    """MOCK integrations answer from the template; SAM's Cors OPTIONS methods return the
    configured headers; the proxy responses carry only what the function sets."""
    mock = lamina.get("/dev/mock")
    assert (mock.status, mock.json(), mock.header("X-Mock")) == (200, {"mocked": True}, "yes")
    preflight = lamina.request(
        "OPTIONS", "/dev/variables", headers={"Origin": "https://example.com"}
    )
    assert preflight.status == 200
    assert preflight.header("Access-Control-Allow-Origin") == "https://example.com"
    assert preflight.header("Access-Control-Allow-Headers") == "Content-Type,X-Custom"
    assert preflight.header("Access-Control-Max-Age") == "600"
    actual = lamina.get("/dev/variables", headers={"Origin": "https://example.com"})
    assert actual.header("Access-Control-Allow-Origin") is None


def test_user_options_method_wins_over_generated_cors(lamina: Running) -> None:
    """An OPTIONS method of the user's is invoked instead of SAM's mock answer."""
    reply = lamina.request(
        "OPTIONS", "/dev/custom-options", headers={"Origin": "https://example.com"}
    )
    assert event_of(reply)["event"]["httpMethod"] == "OPTIONS"


def test_access_log_lines(lamina: Running) -> None:
    """One line per request; a stage with AccessLogSetting uses its $context format."""
    reply = lamina.get("/Prod/echo")
    request_id = reply.header("x-amzn-RequestId")
    line = next(entry for entry in lamina.access_log if request_id and request_id in entry)
    assert line.startswith("GET /Prod/echo 200 ")
    assert "EchoFunction" in line
    reply = lamina.get("/dev/variables")
    request_id = reply.header("x-amzn-RequestId")
    assert f"apigw {request_id} GET /variables 200 dev" in lamina.access_log


def test_http_1_0_gets_http_1_1_and_keep_alive_works(lamina: Running) -> None:
    """An HTTP/1.0 request is answered in HTTP/1.1; two requests share one connection."""
    with socket.create_connection(("127.0.0.1", lamina.port), timeout=30) as sock:
        sock.sendall(b"GET /Prod/echo HTTP/1.0\r\nHost: x\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")
    connection = http.client.HTTPConnection("127.0.0.1", lamina.port, timeout=30)
    for _ in range(2):
        connection.request("GET", "/Prod/echo")
        response = connection.getresponse()
        assert response.status == 200
        json.loads(response.read())
    connection.close()


def test_api_host_addresses_one_api(lamina: Running) -> None:
    """{apiId}.execute-api.localhost reaches that API only."""
    api = next(a for a in lamina.served.apis if a.logical_id == "MyApi")
    api_id = api.urls[1].split("//")[1].split(".")[0]
    assert lamina.get("/dev/variables", host=f"{api_id}.execute-api.localhost").status == 200
    assert lamina.get("/Prod/echo", host=f"{api_id}.execute-api.localhost").status == 403


@pytest.mark.parametrize("where", ["value", "name", "nul"])
def test_a_header_with_cr_lf_or_nul_is_a_502_not_a_second_response(
    lamina: Running, where: str
) -> None:
    """A function's header holding CR, LF or NUL gets API Gateway's 502 for a malformed Lambda
    response: exactly one answer comes back on the connection, and no forged header in it."""
    with socket.create_connection(("127.0.0.1", lamina.port), timeout=30) as sock:
        sock.sendall(
            f"GET /smuggle?in={where} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
        )
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    assert raw.startswith(b"HTTP/1.1 502 ")
    assert raw.count(b"HTTP/1.1 ") == 1
    assert b"X-Forged" not in raw and b"smuggled" not in raw
    assert raw.endswith(b'{"message": "Internal server error"}')
