"""``AWS_PROXY``: the route's function invoked with a 1.0 or 2.0 event, its result mapped back.

Contract of ``LambdaProxy``: never raises for a failing invocation; each outcome gets API
Gateway's answer (``responses``). An invocation that outlives the integration's timeout gets the
timeout answer while it goes on to its end in the engine, as on AWS (it is kept in ``orphans``
until then). When the function's own Timeout is not longer than the integration's, the function
times out first and no timer races it. The engine is reached only through ``Invoker.invoke``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from lamina import fastjson
from lamina.engine.api import (
    MAX_SYNC_PAYLOAD,
    InvocationType,
    Invoker,
    InvokeRequest,
    InvokeResult,
)
from lamina.errors import (
    AwsError,
    RequestEntityTooLargeException,
    ResourceNotFoundException,
    TooManyRequestsException,
)
from lamina.gateway import events, responses
from lamina.gateway.events import Call
from lamina.model import arns
from lamina.model.apis import Api, Route
from lamina.net.messages import Response

log = logging.getLogger("lamina.gateway")


@functools.lru_cache(maxsize=4096)
def function_and_qualifier(target: str) -> tuple[str, str | None]:
    """``arn:aws:lambda:r:a:function:NAME[:QUALIFIER]`` (or a bare name) -> (NAME, QUALIFIER)."""
    return arns.integration_target(target)


class LambdaProxy:
    """One route's Lambda proxy integration on one stage."""

    __slots__ = (
        "_binary",
        "_event",
        "_invoker",
        "_kind",
        "_name",
        "_orphans",
        "_qualifier",
        "_race",
        "_target",
        "_timeout_s",
        "_v2",
        "_where",
        "function",
    )

    def __init__(
        self,
        invoker: Invoker,
        api: Api,
        route: Route,
        target: str,
        *,
        function: str,
        function_timeout_s: float,
        orphans: set[asyncio.Task[InvokeResult]],
    ) -> None:
        """``target`` is the integration's function (stage variables filled in), ``function``
        its logical id for logs, ``function_timeout_s`` its Timeout (``inf`` if unknown)."""
        integration = route.integration
        self.function = function
        self._invoker = invoker
        self._orphans = orphans
        self._target = target
        self._name, self._qualifier = function_and_qualifier(target)
        self._kind = api.kind
        self._v2 = integration.payload_format == "2.0"
        self._event: Callable[[Call], dict[str, Any]] = events.v2 if self._v2 else events.v1
        self._timeout_s = integration.timeout_s
        # The function times out first: no need for a timer racing the integration's.
        self._race = function_timeout_s > integration.timeout_s
        self._where = f"{api.logical_id} {route.key}"
        self._binary = api.binary_media_types

    async def __call__(self, call: Call, /) -> Response:
        kind = self._kind
        payload = fastjson.dumps(self._event(call))
        result = await self.invoke(call, payload)
        if isinstance(result, Response):
            return result
        if result.function_error:
            return responses.integration_failed(kind)
        try:
            if self._v2:
                return responses.from_v2(result.payload)
            return responses.from_v1(result.payload, kind, self._binary, call.request)
        except responses.MalformedResult as exc:
            log.error("%s returned a malformed proxy response: %s", self.function, exc)
            return responses.integration_failed(kind)

    async def invoke(
        self, call: Call, payload: bytes, is_json: bool = True
    ) -> InvokeResult | Response:
        """The function's result for ``payload``, or API Gateway's answer when the invocation
        fails (too large, timed out, throttled, refused): also the seam of non-proxy Lambda
        integrations, which send a payload of their own (``is_json`` False: Lambda checks it)."""
        if len(payload) > MAX_SYNC_PAYLOAD:
            return responses.too_large(self._kind)
        try:
            if self._race:
                return await self._within(
                    self._invoker.invoke(self._request(call, payload, is_json))
                )
            return await self._invoker.invoke(self._request(call, payload, is_json))
        except (TimeoutError, AwsError) as exc:
            return self._refused(exc)

    def _request(self, call: Call, payload: bytes, is_json: bool = True) -> InvokeRequest:
        # Positional (function, payload, invocation_type, qualifier, client_context,
        # cognito_identity, trace_id, request_id, payload_is_json): keywords cost 0.2 us more,
        # on every request.
        return InvokeRequest(
            self._name,
            payload,
            InvocationType.REQUEST_RESPONSE,
            self._qualifier,
            None,
            None,
            call.trace_id,
            call.request_id,
            is_json,
        )

    def _refused(self, exc: TimeoutError | AwsError) -> Response:
        """API Gateway's answer to an invocation that failed: timed out, throttled, too
        large, of a function that does not exist, or refused."""
        kind = self._kind
        if isinstance(exc, TimeoutError):
            log.warning(
                "%s: %s timed out after %.0f s", self.function, self._where, self._timeout_s
            )
            return responses.timed_out(kind)
        if isinstance(exc, TooManyRequestsException):
            log.warning("%s throttled: %s", self.function, exc.message)
            return responses.throttled(kind)
        if isinstance(exc, RequestEntityTooLargeException):
            return responses.too_large(kind)
        if isinstance(exc, ResourceNotFoundException):
            log.error(
                "%s: the integration invokes %s, which does not exist (%s)",
                self._where,
                self._target,
                exc.message,
            )
            return responses.integration_failed(kind)
        log.error("%s could not be invoked: %s (%s)", self.function, exc.message, exc.code)
        return responses.lambda_rejected(kind)

    async def _within(self, invocation: Coroutine[Any, Any, InvokeResult]) -> InvokeResult:
        """The invocation's result, or ``TimeoutError`` after the integration's timeout while
        the invocation runs on (a timer and a future: cheaper than ``wait_for`` + ``shield``)."""
        loop = asyncio.get_running_loop()
        task: asyncio.Task[InvokeResult] = loop.create_task(invocation)
        woken: asyncio.Future[None] = loop.create_future()

        def wake(_: object = None) -> None:
            if not woken.done():
                woken.set_result(None)

        task.add_done_callback(wake)
        timer = loop.call_later(self._timeout_s, wake)
        try:
            await woken
        finally:
            timer.cancel()
        if not task.done():
            self._orphans.add(task)
            task.add_done_callback(self._orphans.discard)
            raise TimeoutError
        return task.result()
