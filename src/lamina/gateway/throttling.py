"""Stage, route and account throttling: the pipeline step every API route runs.

API Gateway throttles a request against, in turn, the route's own limits (REST stage
``MethodSettings`` for its ``ResourcePath``/``HttpMethod`` or ``/*``/``*``; HTTP API
``RouteSettings`` or ``DefaultRouteSettings``: ``ThrottlingRateLimit`` a second, a burst of
``ThrottlingBurstLimit``; each route of a stage has its own bucket) and the account's (10,000
requests a second, a burst of 5,000, shared by every API; Lamina's settings may change them).
A request past either is refused: REST APIs answer 429 ``{"message":"Too Many Requests"}`` with
``x-amzn-ErrorType: TooManyRequestsException`` (the ``THROTTLED`` gateway response), HTTP APIs
429 ``{"message":"Too Many Requests"}``. Usage plans' per-key throttles are ``apikeys``'.
"""

from __future__ import annotations

from collections.abc import Awaitable

from lamina.gateway import responses
from lamina.gateway.events import Call
from lamina.gateway.plan import Next
from lamina.gateway.tokenbucket import TokenBucket
from lamina.model.apis import ApiKind, MethodSettings
from lamina.net.messages import Response


def route_bucket(settings: MethodSettings) -> TokenBucket | None:
    """The bucket of a route whose effective settings set a limit; None when none is set.

    A rate without a burst bursts to the rate (at least one); a burst without a rate never
    refills past the account's rate, so it takes the account's default rate.
    """
    if settings.rate is None and settings.burst is None:
        return None
    rate = settings.rate if settings.rate is not None else 10_000.0
    burst = settings.burst if settings.burst is not None else max(1.0, rate)
    return TokenBucket(rate, float(burst))


class Throttle:
    """The step: each bucket in turn (the route's, then the account's) spends a token."""

    __slots__ = ("_buckets", "_rest")

    def __init__(self, buckets: tuple[TokenBucket, ...], kind: ApiKind) -> None:
        self._buckets = buckets
        self._rest = kind is ApiKind.REST

    def __call__(self, call: Call, next: Next, /) -> Awaitable[Response]:
        # Not a coroutine: a request that passes awaits the integration itself, one frame less
        # on every request of every route (each await layer is paid again at every resumption).
        for bucket in self._buckets:
            if not bucket.take():
                if self._rest:
                    return _answer(
                        responses.error(429, "Too Many Requests", "TooManyRequestsException")
                    )
                return _answer(responses.error(429, "Too Many Requests"))
        return next(call)


async def _answer(response: Response) -> Response:
    return response
