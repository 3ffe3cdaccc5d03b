"""A route's plan: the steps it has, in the documented order, around its integration."""

from __future__ import annotations

import asyncio

from lamina.gateway.events import Call
from lamina.gateway.plan import Next, compile_plan
from lamina.gateway.routing import Match, Router
from lamina.net.messages import Response

from .support import api, lambda_route, request


def a_call() -> Call:
    """A real request matched to a real route (the compiled build checks the types)."""
    req = request("GET", "/Prod/a", headers=[("Host", "h")])
    found = Router([api(lambda_route("GET", "/a"))]).match("GET", "h", "/Prod/a")
    assert isinstance(found, Match)
    return Call(req, found, "rid", "t", req.received_at, "1", "us-east-1")


class Recorder:
    """A step that notes its name on the way in and out."""

    def __init__(self, name: str, trail: list[str]) -> None:
        self.name, self.trail = name, trail

    async def __call__(self, call: Call, next: Next, /) -> Response:
        self.trail.append(f"{self.name}>")
        response = await next(call)
        self.trail.append(f"<{self.name}")
        return response


class Refuser:
    """A step that answers by itself (as an authoriser refusing a request would)."""

    async def __call__(self, call: Call, next: Next, /) -> Response:
        return Response(403, [], b"no")


class Answer:
    def __init__(self, trail: list[str]) -> None:
        self.trail = trail
        self.function: str | None = "Fn"

    async def __call__(self, call: Call, /) -> Response:
        self.trail.append("integration")
        return Response(200, [], b"ok")


def test_steps_run_in_the_documented_order_around_the_integration() -> None:
    """CORS is outermost, then the authoriser, API keys, throttling and validation, then the
    integration, whatever order the builder is given them in; the plan names the function."""
    trail: list[str] = []
    names = ("validator", "throttle", "api_keys", "authorizer", "cors")
    steps = {name: Recorder(name, trail) for name in names}
    plan = compile_plan(Answer(trail), request_id_header="x-amzn-RequestId", **steps)
    response = asyncio.run(plan.run(a_call()))
    assert response.status == 200 and plan.function == "Fn"
    inward = ["cors>", "authorizer>", "api_keys>", "throttle>", "validator>"]
    outward = [f"<{name[:-1]}" for name in reversed(inward)]
    assert trail == [*inward, "integration", *outward]


def test_a_step_that_answers_stops_the_plan_and_a_plan_without_steps_is_its_integration() -> None:
    """A refusing step's answer goes back through the steps before it and the integration never
    runs; with no steps, the plan runs the integration itself (no wrapper per request)."""
    trail: list[str] = []
    integration = Answer(trail)
    plan = compile_plan(
        integration,
        request_id_header="apigw-requestid",
        cors=Recorder("cors", trail),
        authorizer=Refuser(),
    )
    assert asyncio.run(plan.run(a_call())).status == 403
    assert trail == ["cors>", "<cors"]
    assert compile_plan(integration, request_id_header="apigw-requestid").run is integration
