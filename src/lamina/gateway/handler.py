"""The gateway: one request in, API Gateway's answer out.

Contract of ``Gateway``: ``deploy(apis)`` swaps the routing tables atomically (requests already
routed finish on what they matched) and returns the route conflicts of the merged port;
``__call__`` never raises for a bad request or a failing integration, it answers the way API
Gateway answers. An integration that outlives its timeout gets the timeout answer while the
invocation goes on to its end in the engine, as on AWS. The engine is reached only through
``Invoker.invoke``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import time
from collections.abc import Callable, Iterable
from typing import Any

from lamina import fastjson, ids
from lamina.engine.api import MAX_SYNC_PAYLOAD, Invoker, InvokeRequest, InvokeResult
from lamina.errors import (
    AwsError,
    RequestEntityTooLargeException,
    ResourceNotFoundException,
    TooManyRequestsException,
)
from lamina.gateway import accesslog, events, mock, proxy, responses
from lamina.gateway.cors import CorsPolicy
from lamina.gateway.events import Call
from lamina.gateway.routing import NoRoute, Router
from lamina.model.apis import Api, ApiKind, Integration, IntegrationType
from lamina.net.messages import Request, Response

log = logging.getLogger("lamina.gateway")
_STAGE_VARIABLE = "${stageVariables."


@functools.lru_cache(maxsize=4096)
def function_and_qualifier(target: str) -> tuple[str, str | None]:
    """``arn:aws:lambda:r:a:function:NAME[:QUALIFIER]`` (or a bare name) -> (NAME, QUALIFIER)."""
    if target.startswith("arn:"):
        parts = target.split(":")
        if len(parts) >= 7:
            return parts[6], (parts[7] if len(parts) > 7 and parts[7] else None)
    name, _, qualifier = target.partition(":")
    return name, qualifier or None


def _fill_stage_variables(text: str, variables: dict[str, str]) -> str:
    for name, value in variables.items():
        text = text.replace(f"{_STAGE_VARIABLE}{name}}}", value)
    return text


class Gateway:
    def __init__(
        self,
        invoker: Invoker,
        *,
        region: str,
        account_id: str,
        access_log: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._invoker = invoker
        self._region = region
        self._account_id = account_id
        self._access_log = access_log
        self._clock = clock
        self._router = Router(())
        self._cors: dict[str, CorsPolicy] = {}
        self._functions: dict[str, str] = {}
        self._timeouts: dict[str, float] = {}
        # Invocations whose request already got its timeout answer.
        self._orphans: set[asyncio.Task[InvokeResult]] = set()

    @property
    def apis(self) -> tuple[Api, ...]:
        return self._router.apis

    def deploy(
        self,
        apis: Iterable[Api],
        functions: dict[str, str] | None = None,
        timeouts: dict[str, float] | None = None,
    ) -> list[str]:
        """Serve ``apis`` from now on; ``functions`` maps function names to logical ids (for
        logs), ``timeouts`` function names to their Timeout (a function that times out before
        its integration needs no integration timer). Returns the conflicts of the merged port."""
        apis = tuple(apis)
        cors = {a.id: CorsPolicy(a.cors) for a in apis if a.cors and a.kind is not ApiKind.REST}
        router = Router(apis)
        self._router, self._cors, self._functions = router, cors, dict(functions or {})
        self._timeouts = dict(timeouts or {})
        return router.conflicts()

    async def __call__(self, request: Request) -> Response:
        started = time.perf_counter()
        now = request.received_at or self._clock()
        request_id = ids.request_id()
        path = request.path
        found = self._router.match(request.method, request.host, path)
        if isinstance(found, NoRoute):
            response = self._no_route(request, found)
            self._log(request, response, started, None, request_id, None)
            return response
        trace = request.header("x-amzn-trace-id") or _trace_id(now, request_id)
        call = Call(request, found, request_id, trace, now, self._account_id, self._region)
        response, function = await self._answer(call)
        kind = found.api.kind
        response.headers.append(
            ("x-amzn-RequestId", request_id)
            if kind is ApiKind.REST
            else ("apigw-requestid", request_id)
        )
        self._log(request, response, started, function, request_id, call)
        return response

    # -- routing outcomes ----------------------------------------------------------------------

    def _no_route(self, request: Request, found: NoRoute) -> Response:
        policy = self._cors.get(found.api.id) if found.api else None
        if policy is not None and policy.is_preflight(request):
            return policy.answer_preflight(request)
        return responses.no_route(found.kind)

    async def _answer(self, call: Call) -> tuple[Response, str | None]:
        match = call.match
        policy = self._cors.get(match.api.id)
        request = call.request
        if policy is not None and match.route.method != "OPTIONS" and policy.is_preflight(request):
            return policy.answer_preflight(request), None
        integration = match.route.integration
        if integration.type is IntegrationType.AWS_PROXY:
            response, function = await self._invoke(call, integration)
        elif integration.type is IntegrationType.HTTP_PROXY:
            response, function = await self._proxy(call, integration), None
        else:
            assert integration.mock is not None
            response, function = mock.answer(integration.mock), None
        if policy is not None:
            response = policy.decorate(request, response)
        return response, function

    # -- integrations ----------------------------------------------------------------------

    async def _invoke(self, call: Call, integration: Integration) -> tuple[Response, str | None]:
        match, kind = call.match, call.match.api.kind
        target = integration.function or ""
        if _STAGE_VARIABLE in target:
            target = _fill_stage_variables(target, dict(match.stage.variables))
        name, qualifier = function_and_qualifier(target)
        function = self._functions.get(name, name)
        payload = fastjson.dumps(events.build(call))
        if len(payload) > MAX_SYNC_PAYLOAD:
            return responses.too_large(kind), function
        invocation = InvokeRequest(
            function=name,
            payload=payload,
            qualifier=qualifier,
            trace_id=call.trace_id,
            request_id=call.request_id,
            payload_is_json=True,
        )
        try:
            if self._timeouts.get(name, math.inf) <= integration.timeout_s:
                # The function times out first: no need for a task racing the integration's.
                result = await self._invoker.invoke(invocation)
            else:
                result = await self._within(self._invoker.invoke(invocation), integration.timeout_s)
        except TimeoutError:
            log.warning(
                "%s: %s timed out after %.0f s", function, match.route.key, integration.timeout_s
            )
            return responses.timed_out(kind), function
        except TooManyRequestsException as exc:
            log.warning("%s throttled: %s", function, exc.message)
            return responses.throttled(kind), function
        except RequestEntityTooLargeException:
            return responses.too_large(kind), function
        except ResourceNotFoundException as exc:
            log.error(
                "%s %s: the integration invokes %s, which does not exist (%s)",
                match.api.logical_id,
                match.route.key,
                target,
                exc.message,
            )
            return responses.integration_failed(kind), function
        except AwsError as exc:
            log.error("%s could not be invoked: %s (%s)", function, exc.message, exc.code)
            return responses.lambda_rejected(kind), function
        if result.function_error:
            return responses.integration_failed(kind), function
        try:
            if integration.payload_format == "2.0":
                return responses.from_v2(result.payload), function
            return responses.from_v1(
                result.payload, kind, match.api.binary_media_types, call.request
            ), function
        except responses.MalformedResult as exc:
            log.error("%s returned a malformed proxy response: %s", function, exc)
            return responses.integration_failed(kind), function

    async def _within(self, invocation: Any, timeout_s: float) -> InvokeResult:
        """The invocation's result, or ``TimeoutError`` after ``timeout_s`` while the
        invocation runs on (a timer and a future: cheaper than ``wait_for`` + ``shield``)."""
        loop = asyncio.get_running_loop()
        task: asyncio.Task[InvokeResult] = loop.create_task(invocation)
        woken: asyncio.Future[None] = loop.create_future()

        def wake(_: object = None) -> None:
            if not woken.done():
                woken.set_result(None)

        task.add_done_callback(wake)
        timer = loop.call_later(timeout_s, wake)
        try:
            await woken
        finally:
            timer.cancel()
        if not task.done():
            self._orphans.add(task)
            task.add_done_callback(self._orphan_done)
            raise TimeoutError
        return task.result()

    def _orphan_done(self, task: asyncio.Task[InvokeResult]) -> None:
        # Its log went to the log pipeline as it ran, like every invocation's.
        self._orphans.discard(task)

    async def _proxy(self, call: Call, integration: Integration) -> Response:
        match, kind = call.match, call.match.api.kind
        url = proxy.target_url(
            integration.uri or "",
            match.path_parameters,
            dict(match.stage.variables),
            call.request.query,
        )
        method = integration.http_method or call.request.method
        headers = events.forwarded_headers(call)
        try:
            return await proxy.forward(
                url, method, headers, call.request.body, integration.timeout_s
            )
        except TimeoutError:
            log.warning(
                "%s: %s timed out after %.0f s", url, match.route.key, integration.timeout_s
            )
            return responses.timed_out(kind)
        except OSError as exc:
            log.error("%s: cannot forward to %s: %s", match.route.key, url, exc)
            return responses.integration_failed(kind)

    # -- logs ------------------------------------------------------------------------------

    def _log(
        self,
        request: Request,
        response: Response,
        started: float,
        function: str | None,
        request_id: str,
        call: Call | None,
    ) -> None:
        if self._access_log is None:
            return
        record = accesslog.Record(
            method=request.method,
            path=request.path,
            status=response.status,
            latency_ms=(time.perf_counter() - started) * 1000,
            response_length=len(response.body),
            function=function,
            request_id=request_id,
            call=call,
        )
        template = call.match.stage.access_log_format if call else None
        self._access_log(
            accesslog.formatted(record, template) if template else accesslog.line(record)
        )


def _trace_id(now: float, request_id: str) -> str:
    return f"Root=1-{int(now):08x}-{request_id.replace('-', '')[:24]};Sampled=0"
