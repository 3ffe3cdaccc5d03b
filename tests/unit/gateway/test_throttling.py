"""Stage, route and account throttling in the gateway's plan, against a fake engine: the token
buckets admit exactly their burst of concurrent calls and refuse the rest as API Gateway does."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

from lamina.gateway.handler import Gateway
from lamina.gateway.tokenbucket import TokenBucket
from lamina.model.apis import ApiKind, GatewayResponse, MethodSettings

from .support import api, lambda_route, request
from .test_handler import FakeInvoker, result


def burst(gateway: Gateway, path: str, n: int) -> list[tuple[int, dict[str, str], object]]:
    async def many() -> list[tuple[int, dict[str, str], object]]:
        answers = await asyncio.gather(*(gateway(request("GET", path)) for _ in range(n)))
        return [(a.status, dict(a.headers), json.loads(a.body or b"null")) for a in answers]

    return asyncio.run(many())


def test_a_burst_against_a_route_limit_admits_exactly_the_burst() -> None:
    """REST stage MethodSettings for GET /a (burst 4, a rate too slow to refill): 20
    concurrent calls let 4 reach the function; the rest get 429 Too Many Requests with
    TooManyRequestsException. Another route of the stage has its own bucket."""
    invoker = FakeInvoker(result({"statusCode": 200, "body": "{}"}), delay_s=0.01)
    gateway = Gateway(invoker, region="us-east-1", account_id="1")  # type: ignore[arg-type]
    rest = api(lambda_route("GET", "/a"), lambda_route("GET", "/b"))
    limited = MethodSettings("/a", "GET", rate=0.001, burst=4)
    stage = replace(rest.stages[0], method_settings=(MethodSettings(burst=100), limited))
    gateway.deploy([replace(rest, stages=(stage,))])
    answers = burst(gateway, "/Prod/a", 20)
    assert sum(1 for status, _, _ in answers if status == 200) == 4
    refused = [a for a in answers if a[0] == 429]
    assert len(refused) == 16
    assert all(body == {"message": "Too Many Requests"} for _, _, body in refused)
    assert all(h["x-amzn-ErrorType"] == "TooManyRequestsException" for _, h, _ in refused)
    assert len(invoker.calls) == 4
    assert all(status == 200 for status, _, _ in burst(gateway, "/Prod/b", 20))


def test_the_account_limit_is_shared_by_every_api() -> None:
    """The account's bucket (a Lamina setting) spans APIs of both kinds: a burst of 3 admits 3
    calls over a REST and an HTTP API together; an HTTP API's 429 carries no error type."""
    invoker = FakeInvoker(result({"statusCode": 200, "body": "{}"}))
    gateway = Gateway(
        invoker,  # type: ignore[arg-type]
        region="us-east-1",
        account_id="1",
        account_limits=(0.001, 3),
    )
    rest = api(lambda_route("GET", "/a"), api_id="rest1")
    http = api(lambda_route("GET", "/h", "2.0"), kind=ApiKind.HTTP, api_id="http1")
    gateway.deploy([rest, http])

    async def both() -> list[tuple[int, dict[str, str]]]:
        calls = [request("GET", "/Prod/a") for _ in range(3)]
        calls += [request("GET", "/h") for _ in range(3)]
        answers = await asyncio.gather(*(gateway(c) for c in calls))
        return [(a.status, dict(a.headers)) for a in answers]

    answers = asyncio.run(both())
    assert [s for s, _ in answers].count(200) == 3
    assert all("x-amzn-ErrorType" not in h for s, h in answers[3:] if s == 429)


def test_the_bucket_refills_at_its_rate() -> None:
    """An empty bucket earns one token per 1/rate seconds and never holds more than its burst."""
    now = [0.0]
    bucket = TokenBucket(2.0, 3.0, lambda: now[0])
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    now[0] += 0.5
    assert [bucket.take() for _ in range(2)] == [True, False]
    now[0] += 100.0
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]


def test_a_throttled_call_gets_the_apis_throttled_gateway_response() -> None:
    """A REST API's THROTTLED gateway response rewords the 429 of a stage throttle."""
    invoker = FakeInvoker(result({"statusCode": 200, "body": "{}"}))
    gateway = Gateway(invoker, region="us-east-1", account_id="1")  # type: ignore[arg-type]
    rest = api(lambda_route("GET", "/a"))
    stage = replace(rest.stages[0], method_settings=(MethodSettings(rate=0.001, burst=1),))
    custom = GatewayResponse("THROTTLED", 503, templates={"application/json": '{"slow": "down"}'})
    gateway.deploy([replace(rest, stages=(stage,), gateway_responses={"THROTTLED": custom})])
    answers = burst(gateway, "/Prod/a", 2)
    assert sorted((status, body) for status, _, body in answers) == [
        (200, {}),
        (503, {"slow": "down"}),
    ]
