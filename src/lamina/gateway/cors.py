"""CORS as HTTP APIs (``CorsConfiguration``) and Function URLs (``Cors``) apply it.

``CorsPolicy`` is pure; one object per configuration, built once per deployment (decisions
precomputed, branches taken early, as starlette's middleware does). API Gateway answers a
preflight ``OPTIONS`` itself unless the API has an ``OPTIONS`` route of its own; it adds the
CORS headers to every answer for an allowed ``Origin`` and ignores the ones the integration
sets. An absent or unknown ``Origin`` gets no CORS headers at all. (REST APIs do CORS through
the mock ``OPTIONS`` methods SAM generates, served by ``integrations.mock``.) ``CorsStep`` is
the policy as the first step of a route's plan; the gateway also asks the policy to answer
preflights that match no route."""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING

from lamina.model.apis import Cors
from lamina.net.messages import Request, Response

if TYPE_CHECKING:
    from lamina.gateway.events import Call
    from lamina.gateway.plan import Next


class CorsPolicy:
    def __init__(self, cors: Cors) -> None:
        self.any_origin = "*" in cors.allow_origins
        self.origins = frozenset(o for o in cors.allow_origins if "*" not in o)
        # HTTP APIs accept wildcard subdomains such as https://*.example.com.
        self.patterns = tuple(o for o in cors.allow_origins if "*" in o and o != "*")
        self.credentials = cors.allow_credentials
        common: list[tuple[str, str]] = []
        if cors.allow_credentials:
            common.append(("Access-Control-Allow-Credentials", "true"))
        self.actual = list(common)
        if cors.expose_headers:
            self.actual.append(("Access-Control-Expose-Headers", ",".join(cors.expose_headers)))
        self.preflight = list(common)
        if cors.allow_methods:
            self.preflight.append(("Access-Control-Allow-Methods", ",".join(cors.allow_methods)))
        if cors.allow_headers:
            self.preflight.append(("Access-Control-Allow-Headers", ",".join(cors.allow_headers)))
        if cors.max_age is not None:
            self.preflight.append(("Access-Control-Max-Age", str(cors.max_age)))

    def allowed_origin(self, origin: str | None) -> str | None:
        """The ``Access-Control-Allow-Origin`` value for ``origin``, or None."""
        if not origin:
            return None
        if origin in self.origins or any(fnmatch.fnmatchcase(origin, p) for p in self.patterns):
            return origin
        if self.any_origin:
            # A credentialed answer may not say "*": the origin is echoed instead.
            return origin if self.credentials else "*"
        return None

    @staticmethod
    def is_preflight(request: Request) -> bool:
        return (
            request.method == "OPTIONS"
            and request.header("origin") is not None
            and request.header("access-control-request-method") is not None
        )

    def answer_preflight(self, request: Request) -> Response:
        origin = self.allowed_origin(request.header("origin"))
        if origin is None:
            return Response(204, [])
        headers = [("Access-Control-Allow-Origin", origin), *self.preflight]
        if origin != "*":
            headers.append(("Vary", "Origin"))
        return Response(204, headers)

    def decorate(self, request: Request, response: Response) -> Response:
        """``response`` with the integration's CORS headers replaced by the configured ones."""
        origin = self.allowed_origin(request.header("origin"))
        kept = [h for h in response.headers if not h[0].lower().startswith("access-control-")]
        if origin is not None:
            kept += [("Access-Control-Allow-Origin", origin), *self.actual]
        response.headers = kept
        return response


class CorsStep:
    """CORS as one step of a route's plan (``plan.py``): a preflight ``OPTIONS`` is answered
    here unless the route is an ``OPTIONS`` route of its own; every other answer is decorated."""

    __slots__ = ("_policy", "_preflight")

    def __init__(self, policy: CorsPolicy, method: str) -> None:
        self._policy = policy
        self._preflight = method != "OPTIONS"

    async def __call__(self, call: Call, next: Next, /) -> Response:
        request = call.request
        if self._preflight and self._policy.is_preflight(request):
            return self._policy.answer_preflight(request)
        return self._policy.decorate(request, await next(call))
