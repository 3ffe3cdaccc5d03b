"""A route's plan: the ordered steps a request goes through, then the route's integration.

Contract: ``compile_plan`` runs once per stage and route when the gateway deploys; a request
costs one call of ``Plan.run`` (a route without steps runs its integration directly: no wrapper).
Steps run in this order, each one only where the route needs it:

1. CORS (``cors.CorsStep``: HTTP APIs and Function URLs with a CORS configuration), outermost
   so that its headers decorate every answer, the other steps' refusals included;
2. authorisation (Lambda, JWT and IAM authorisers), which may answer 401/403 itself;
3. API keys and usage plans (``apikeys``), which may answer 403/429;
4. stage, route and account throttling (``throttling``), which may answer 429;
5. request validation (``validation``), which may answer 400;
6. the REST stage cache (``cache``), which answers hits itself;
7. the integration (``integrations``): Lambda proxy, HTTP proxy or mock.

A step is a callable ``step(call, next) -> Response`` that may answer by itself or await
``next(call)`` and change what it returns. Steps are plain objects built with what they need
from the deployment, so that a request pays for no lookups.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from lamina.gateway.events import Call
from lamina.net.messages import Response

Next = Callable[[Call], Awaitable[Response]]


class Step(Protocol):
    # A coroutine function, or a plain one returning ``next(call)`` itself when it passes.
    def __call__(self, call: Call, next: Next, /) -> Awaitable[Response]: ...


class Integration(Protocol):
    """What a route invokes: answers every call, never raises for a failing backend."""

    @property
    def function(self) -> str | None:
        """The function's logical id (or name) for the access log; None when none is invoked."""

    async def __call__(self, call: Call, /) -> Response: ...


class _Bound:
    """One step with the rest of the plan behind it."""

    __slots__ = ("_next", "_step")

    def __init__(self, step: Step, next: Next) -> None:
        self._step = step
        self._next = next

    def __call__(self, call: Call) -> Awaitable[Response]:
        return self._step(call, self._next)


class Plan:
    """A compiled route: ``run(call)`` answers it; ``function`` names the function, for logs."""

    __slots__ = ("function", "request_id_header", "run")

    def __init__(self, run: Next, function: str | None, request_id_header: str) -> None:
        self.run = run
        self.function = function
        # REST APIs answer with x-amzn-RequestId, HTTP APIs and Function URLs with apigw-requestid.
        self.request_id_header = request_id_header


def compile_plan(
    integration: Integration,
    *,
    request_id_header: str,
    cors: Step | None = None,
    authorizer: Step | None = None,
    api_keys: Step | None = None,
    throttle: Step | None = None,
    validator: Step | None = None,
    cache: Step | None = None,
) -> Plan:
    """The plan of one route: the steps it has (in the module's order), then ``integration``."""
    steps: Sequence[Step | None] = (cors, authorizer, api_keys, throttle, validator, cache)
    run: Next = integration
    for step in reversed(steps):
        if step is not None:
            run = _Bound(step, run)
    return Plan(run, integration.function, request_id_header)
