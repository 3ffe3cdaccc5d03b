"""REST non-proxy integrations with mapping templates (VTL), through a real `lamina up`
(in-process) over real HTTP: Lambda (``type: aws``), HTTP and MOCK integrations, request and
response templates with ``$input``, ``$util``, ``$context`` and ``$stageVariables``, passthrough
behaviours, integration responses selected by status pattern and Lambda error regex, response
parameters and content handling. The expected outputs are those of AWS's documented examples
(the mapping template examples and reference). One deployment serves the whole module."""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from .support import Running, running

pytestmark = pytest.mark.slow
APP = Path(__file__).parent / "mapping_app"


class _Backend(BaseHTTPRequestHandler):
    """An HTTP backend that answers what it received (503 for item ``fail``)."""

    seen: list[dict[str, Any]] = []

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        received = {
            "method": self.command,
            "path": self.path,
            "from": self.headers.get("X-From"),
            "contentType": self.headers.get("Content-Type"),
            "body": json.loads(body or b"null"),
        }
        answer = json.dumps(received).encode()
        self.send_response(503 if "/fail" in self.path else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Backend", "yes")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def backend() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Backend)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def lamina(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[Running]:
    state = tmp_path_factory.mktemp("mapping")
    with running(APP / "template.yaml", state, overrides={"BackendUrl": backend}) as served:
        yield served


def test_all_request_parameters_reach_the_function(lamina: Running) -> None:
    """AWS's example 2 (pass all request parameters): path, query string and headers rendered
    into the payload of a Lambda non-proxy integration, with $context and $stageVariables; the
    function's result passes through as the 200 answer."""
    reply = lamina.get(
        "/Prod/params/7?q=say+%22x%22",
        headers={"X-Custom": "a/b", "Content-Type": "application/json"},
    )
    assert reply.status == 200, reply.body
    document = reply.json()
    assert document["params"]["path"] == {"petId": "7"}
    # escapeJavaScript escapes double quotes and slashes (and single quotes, as \', which is
    # not JSON: AWS documents that caveat).
    assert document["params"]["querystring"] == {"q": 'say "x"'}
    assert document["params"]["header"]["X-Custom"] == "a/b"
    assert (document["stage"], document["resourcePath"], document["httpMethod"]) == (
        "Prod",
        "/params/{petId}",
        "GET",
    )
    assert document["color"] == "blue"
    assert reply.header("Content-Type") == "application/json"


def test_response_template_and_parameters_map_the_result(lamina: Running) -> None:
    """The default integration response maps the function's result with its template
    ($input.path objects, $input.json text, list indexes and size()) and sets headers from the
    result's body and from a literal."""
    reply = lamina.get("/Prod/pets/3")
    assert reply.status == 200, reply.body
    assert reply.json() == {
        "pet": {
            "id": 3,
            "price": 249.99,
            "tags": ["good", "boy"],
            "firstTag": "good",
            "tagCount": 2,
        }
    }
    assert reply.header("X-Pet-Type") == "dog"
    assert reply.header("X-Static") == "fixed"


def test_the_accept_header_chooses_the_response_template(lamina: Running) -> None:
    """A client that accepts XML gets the application/xml template and its Content-Type."""
    reply = lamina.get("/Prod/pets/3", headers={"Accept": "application/xml"})
    assert reply.status == 200
    assert reply.body.strip() == b"<pet><id>3</id><type>dog</type></pet>"
    assert reply.header("Content-Type") == "application/xml"


def test_a_lambda_error_message_selects_the_integration_response(lamina: Running) -> None:
    """A function error whose errorMessage matches the selection pattern gets that response's
    status and template."""
    reply = lamina.get("/Prod/pets/404")
    assert reply.status == 404
    assert reply.json() == {"error": "Pet 404 not found"}


def test_request_template_reads_the_body(lamina: Running) -> None:
    """$input.json gives JSON text (objects, strings with quotes), $input.path the value."""
    body = {"name": "Rex", "kind": "dog", "owner": {"address": {"city": "Lyon"}}}
    reply = lamina.request(
        "POST", "/Prod/pets", json.dumps(body), {"Content-Type": "application/json"}
    )
    assert reply.status == 201, reply.body
    assert reply.json() == {"name": "Rex", "kind": "dog", "nested": {"city": "Lyon"}}


def test_passthrough_behaviours(lamina: Running) -> None:
    """WHEN_NO_TEMPLATES with templates defined refuses another Content-Type with 415;
    WHEN_NO_MATCH (no templates) passes the body through; NEVER refuses every unmatched type."""
    reply = lamina.request("POST", "/Prod/pets", "name=Rex", {"Content-Type": "text/plain"})
    assert reply.status == 415
    assert reply.json() == {"message": "Unsupported Media Type"}
    assert reply.header("x-amzn-ErrorType") == "UnsupportedMediaTypeException"
    passed = lamina.request(
        "POST", "/Prod/passthrough", '{"as": "is"}', {"Content-Type": "application/json"}
    )
    assert passed.status == 200 and passed.json() == {"as": "is"}
    never = lamina.request("POST", "/Prod/never", "{}", {"Content-Type": "application/json"})
    assert never.status == 415


def test_a_body_that_is_not_json_is_a_bad_request(lamina: Running) -> None:
    """A template that reads the body as JSON answers 400 for a body that is not."""
    reply = lamina.request("POST", "/Prod/pets", "{not json", {"Content-Type": "application/json"})
    assert reply.status == 400
    assert reply.json()["message"].startswith("Could not parse request body into json")


def test_mock_status_selects_the_integration_response(lamina: Running) -> None:
    """A MOCK's rendered statusCode is matched against the responses' status patterns."""
    ok = lamina.get("/Prod/mock/200")
    assert ok.status == 200 and ok.json()["ok"] is True and ok.json()["requestId"]
    assert ok.json()["requestId"] == ok.header("x-amzn-RequestId")
    missing = lamina.get("/Prod/mock/404")
    assert missing.status == 404 and missing.json() == {"message": "no such thing"}
    assert lamina.get("/Prod/mock/503").status == 500


def test_util_functions(lamina: Running) -> None:
    """$util's functions as AWS documents them (escapeJavaScript, base64, URL coding,
    parseJson), and parsed JSON renders as Java renders it (true, {b=[1, 2, 3]})."""
    reply = lamina.request("POST", "/Prod/util", "{}", {"Content-Type": "application/json"})
    assert reply.status == 200, reply.body
    assert reply.json() == {
        "escaped": 'say "hi"/bye',
        "b64": "aGVsbG8gd29ybGQ=",
        "unb64": "hello world",
        "url": "a+b%26c%3Dd%2F%C3%A9",
        "unurl": "a b&c",
        "parsed": 3,
        "bool": True,
        "map": "{b=[1, 2, 3]}",
    }


def test_a_broken_template_is_a_500_and_a_log_line(
    lamina: Running, caplog: pytest.LogCaptureFixture
) -> None:
    """A template Velocity cannot parse answers AWS's 500 and logs the route and the fault."""
    with caplog.at_level(logging.ERROR, logger="lamina.gateway"):
        reply = lamina.get("/Prod/broken")
    assert reply.status == 500
    assert reply.json() == {"message": "Internal server error"}
    assert reply.header("x-amzn-ErrorType") == "InternalServerErrorException"
    faults = [r.getMessage() for r in caplog.records if "GET /broken" in r.getMessage()]
    assert faults and "response template" in faults[0]


def test_http_integration_maps_parameters_and_answers(lamina: Running) -> None:
    """An HTTP integration gets the mapped path parameter, query string (from a stage
    variable), header and the rendered body, with its method; its 2xx answer goes through the
    response template and header mapping, its 5xx selects the other response."""
    reply = lamina.request(
        "POST", "/Prod/http/42", '{"n": 1}', {"Content-Type": "application/json"}
    )
    assert reply.status == 200, reply.body
    assert reply.json() == {
        "backend": {
            "method": "PUT",
            "path": "/items/42?color=blue",
            "from": "gateway",
            "contentType": "application/json",
            "body": {"wrapped": {"n": 1}},
        }
    }
    assert reply.header("X-Backend") == "yes"
    failed = lamina.request("POST", "/Prod/http/fail", "{}", {"Content-Type": "application/json"})
    assert failed.status == 502 and failed.json() == {"message": "backend failed"}


def test_binary_body_converted_to_text(lamina: Running) -> None:
    """A binary media type with CONVERT_TO_TEXT reaches the template as base64 text."""
    data = bytes(range(256))
    reply = lamina.request(
        "POST", "/Prod/binary", data, {"Content-Type": "application/octet-stream"}
    )
    assert reply.status == 200, reply.body
    assert base64.b64decode(reply.json()["data"]) == data
