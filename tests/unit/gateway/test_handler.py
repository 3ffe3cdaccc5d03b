"""The gateway end to end against a fake engine: which invocation it asks for and how each
outcome is answered."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from lamina.engine.api import InvokeRequest, InvokeResult, Report
from lamina.errors import ResourceNotFoundException, TooManyRequestsException
from lamina.gateway.handler import Gateway, function_and_qualifier
from lamina.model.apis import ApiKind, Cors, Integration, IntegrationType, MockResponse, Route
from lamina.net.messages import Request, Response

from .support import api, lambda_route, request


class FakeInvoker:
    """Answers every invocation with ``answer(request)``, after ``delay_s``."""

    def __init__(
        self, answer: Callable[[InvokeRequest], InvokeResult], delay_s: float = 0.0
    ) -> None:
        self.answer = answer
        self.delay_s = delay_s
        self.calls: list[InvokeRequest] = []

    async def invoke(self, request: InvokeRequest) -> InvokeResult:
        self.calls.append(request)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        return self.answer(request)


def result(payload: object, error: str | None = None) -> Callable[[InvokeRequest], InvokeResult]:
    return lambda r: InvokeResult(
        r.request_id or "",
        json.dumps(payload).encode(),
        Report(1, 1, 128, 40),
        function_error=error,
    )


def serve(
    invoker: object, *routes: Route, kind: ApiKind = ApiKind.REST, req: Request, **kw: object
) -> Response:
    lines: list[str] = []
    gateway = Gateway(invoker, region="us-east-1", account_id="1", access_log=lines.append)  # type: ignore[arg-type]
    gateway.deploy([api(*routes, kind=kind, **kw)])  # type: ignore[arg-type]
    response = asyncio.run(gateway(req))
    assert len(lines) == 1
    return response


def test_invocation_carries_the_event_ids_and_qualifier() -> None:
    """The function and qualifier of the integration's ARN, the request id (also in the
    response header) and a generated trace id reach the engine."""
    invoker = FakeInvoker(result({"statusCode": 200, "body": "ok"}))
    route = lambda_route("GET", "/a", function="arn:aws:lambda:us-east-1:1:function:fn:live")
    response = serve(invoker, route, req=request("GET", "/Prod/a"))
    (call,) = invoker.calls
    assert (call.function, call.qualifier) == ("fn", "live")
    assert response.body == b"ok"
    assert response.header("x-amzn-RequestId") == call.request_id
    assert call.trace_id and call.trace_id.startswith("Root=1-")
    assert json.loads(call.payload)["requestContext"]["requestId"] == call.request_id


def test_stage_variables_choose_the_function() -> None:
    """An integration URI naming ${stageVariables.fn} invokes the stage's function."""
    invoker = FakeInvoker(result({"statusCode": 200}))
    route = lambda_route("GET", "/a", function="arn:aws:lambda:r:1:function:${stageVariables.fn}")
    serve(invoker, route, req=request("GET", "/Prod/a"), variables={"fn": "chosen"})
    assert invoker.calls[0].function == "chosen"


def test_function_errors_and_malformed_results() -> None:
    """A function error and a malformed v1 result: 502 (REST) / 500 (HTTP API)."""
    failing = FakeInvoker(result({"errorMessage": "x"}, error="Unhandled"))
    assert serve(failing, lambda_route("GET", "/a"), req=request("GET", "/Prod/a")).status == 502
    malformed = FakeInvoker(result("text"))
    response = serve(
        malformed, lambda_route("GET", "/a", "1.0"), kind=ApiKind.HTTP, req=request("GET", "/a")
    )
    assert response.status == 500


def test_timeout_answers_while_the_invocation_runs_on() -> None:
    """Past the integration timeout: 504 (REST) / 503 (HTTP API); the invocation is not
    cancelled."""
    invoker = FakeInvoker(result({"statusCode": 200}), delay_s=0.3)
    route = lambda_route("GET", "/a", timeout_s=0.05)
    assert serve(invoker, route, req=request("GET", "/Prod/a")).status == 504
    route = lambda_route("GET", "/a", "2.0", timeout_s=0.05)
    assert serve(invoker, route, kind=ApiKind.HTTP, req=request("GET", "/a")).status == 503


def test_engine_refusals() -> None:
    """Throttled: 500 (Function URL 429); no such function: 502 (REST)."""

    def throttle(r: InvokeRequest) -> InvokeResult:
        raise TooManyRequestsException(
            "Rate Exceeded.", "ReservedFunctionConcurrentInvocationLimitExceeded"
        )

    def missing(r: InvokeRequest) -> InvokeResult:
        raise ResourceNotFoundException("Function not found")

    assert (
        serve(
            FakeInvoker(throttle), lambda_route("GET", "/a"), req=request("GET", "/Prod/a")
        ).status
        == 500
    )
    url = lambda_route("ANY", "$default", "2.0")
    host = [("Host", "abc123.lambda-url.localhost")]
    assert (
        serve(
            FakeInvoker(throttle),
            url,
            kind=ApiKind.FUNCTION_URL,
            req=request("GET", "/", headers=host),
        ).status
        == 429
    )
    assert (
        serve(FakeInvoker(missing), lambda_route("GET", "/a"), req=request("GET", "/Prod/a")).status
        == 502
    )


def test_oversize_event_is_413_without_invoking() -> None:
    """An event past Lambda's 6 MB synchronous limit never reaches the engine."""
    invoker = FakeInvoker(result({"statusCode": 200}))
    body = b"x" * (6 * 1024 * 1024)
    response = serve(invoker, lambda_route("POST", "/a"), req=request("POST", "/Prod/a", body=body))
    assert response.status == 413 and invoker.calls == []


def test_mock_and_preflight_need_no_invocation() -> None:
    """A MOCK integration and an HTTP API preflight are answered by the gateway itself."""
    invoker = FakeInvoker(result({}))
    mock = Route(
        "GET", "/m", Integration(IntegrationType.MOCK, mock=MockResponse(202, {"X": "y"}, "{}"))
    )
    response = serve(invoker, mock, req=request("GET", "/Prod/m"))
    assert (response.status, response.header("X"), response.body) == (202, "y", b"{}")
    headers = [("Origin", "https://o"), ("Access-Control-Request-Method", "GET")]
    cors = Cors(allow_origins=("https://o",))
    response = serve(
        invoker,
        lambda_route("GET", "/a", "2.0"),
        kind=ApiKind.HTTP,
        cors=cors,
        req=request("OPTIONS", "/a", headers=headers),
    )
    assert response.status == 204 and invoker.calls == []


def test_http_proxy_to_nothing_is_an_integration_failure() -> None:
    """A backend that cannot be reached: 502 (REST)."""
    route = Route(
        "GET",
        "/p",
        Integration(IntegrationType.HTTP_PROXY, uri="http://127.0.0.1:9/x", timeout_s=5),
    )
    assert serve(FakeInvoker(result({})), route, req=request("GET", "/Prod/p")).status == 502


def test_function_and_qualifier() -> None:
    """ARNs with and without qualifier, and bare names."""
    assert function_and_qualifier("arn:aws:lambda:r:1:function:f") == ("f", None)
    assert function_and_qualifier("arn:aws:lambda:r:1:function:f:3") == ("f", "3")
    assert function_and_qualifier("f") == ("f", None)


def test_cors_step_decorates_every_answer_and_leaves_options_routes_their_preflight() -> None:
    """On an HTTP API with CORS, the CORS step wraps the integration: a failing HTTP proxy's
    500 carries the allowed origin, and a route of method OPTIONS gets the preflight itself
    (the function is invoked) instead of the gateway's answer."""
    cors = Cors(allow_origins=("https://o",))
    origin = [("Origin", "https://o")]
    failing = Route(
        "GET", "/p", Integration(IntegrationType.HTTP_PROXY, uri="http://127.0.0.1:9/", timeout_s=5)
    )
    response = serve(
        FakeInvoker(result({})),
        failing,
        kind=ApiKind.HTTP,
        cors=cors,
        req=request("GET", "/p", headers=origin),
    )
    assert response.status == 500
    assert response.header("Access-Control-Allow-Origin") == "https://o"
    invoker = FakeInvoker(result({"statusCode": 200, "body": "mine"}))
    preflight = [*origin, ("Access-Control-Request-Method", "GET")]
    response = serve(
        invoker,
        lambda_route("OPTIONS", "/a", "2.0"),
        kind=ApiKind.HTTP,
        cors=cors,
        req=request("OPTIONS", "/a", headers=preflight),
    )
    assert (response.status, response.body, len(invoker.calls)) == (200, b"mine", 1)
    assert response.header("Access-Control-Allow-Origin") == "https://o"


def test_http_proxy_url_takes_the_stages_variables_and_the_routes_parameters() -> None:
    """An HTTP_PROXY URI naming ${stageVariables.port} and {proxy} forwards to the stage's port
    (filled in when the gateway deploys) with the matched path and the client's query string."""

    async def scenario() -> tuple[Response, bytes]:
        seen: list[bytes] = []

        async def backend(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            seen.append(await reader.readline())
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(backend, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        uri = "http://127.0.0.1:${stageVariables.port}/b/{proxy}"
        route = Route("GET", "/p/{proxy+}", Integration(IntegrationType.HTTP_PROXY, uri=uri))
        gateway = Gateway(FakeInvoker(result({})), region="us-east-1", account_id="1")  # type: ignore[arg-type]
        gateway.deploy([api(route, variables={"port": str(port)})])
        async with server:
            response = await gateway(request("GET", "/Prod/p/x/y", query="q=1"))
        return response, seen[0]

    response, line = asyncio.run(scenario())
    assert (response.status, response.body) == (200, b"ok")
    assert line == b"GET /b/x/y?q=1 HTTP/1.1\r\n"
