"""``HTTP_PROXY``: the request forwarded to the integration's URL, the answer passed back.

Contract of ``HttpProxy``: never raises; a backend that takes longer than the integration's
timeout gets API Gateway's timeout answer, one that cannot be reached its integration failure.
The forwarding itself (URL, headers, the HTTP exchange) is ``gateway/proxy.py``.
"""

from __future__ import annotations

import logging

from lamina.gateway import events, proxy, responses
from lamina.gateway.events import Call
from lamina.model.apis import Api, Route
from lamina.net.messages import Response

log = logging.getLogger("lamina.gateway")


class HttpProxy:
    """One route's HTTP proxy integration on one stage."""

    __slots__ = ("_key", "_kind", "_method", "_timeout_s", "_uri", "function")

    def __init__(self, api: Api, route: Route, uri: str) -> None:
        """``uri`` is the integration's URL template with the stage's variables filled in."""
        integration = route.integration
        self.function: str | None = None
        self._uri = uri
        self._method = integration.http_method
        self._timeout_s = integration.timeout_s
        self._kind = api.kind
        self._key = route.key

    async def __call__(self, call: Call, /) -> Response:
        request = call.request
        url = proxy.target_url(self._uri, call.match.path_parameters, request.query)
        headers = events.forwarded_headers(call)
        try:
            return await proxy.forward(
                url, self._method or request.method, headers, request.body, self._timeout_s
            )
        except TimeoutError:
            log.warning("%s: %s timed out after %.0f s", url, self._key, self._timeout_s)
            return responses.timed_out(self._kind)
        except OSError as exc:
            log.error("%s: cannot forward to %s: %s", self._key, url, exc)
            return responses.integration_failed(self._kind)
