"""The AWS endpoint: routes each request to the service it is for.

Lamina's own routes (``/_lamina/...``: health, later metrics and the console) are matched first;
then each service is asked in turn. A request no service claims gets the error an AWS endpoint
gives for an unknown operation.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence

from lamina.net.messages import Request, Response, json_response
from lamina.services.api import Service, signing_service

log = logging.getLogger("lamina.services")
Route = Callable[[Request], Awaitable[Response]]


class Endpoint:
    def __init__(self, services: Sequence[Service], routes: dict[str, Route] | None = None) -> None:
        self.services = list(services)
        self.routes = dict(routes or {})

    async def __call__(self, request: Request) -> Response:
        route = self.routes.get(request.path)
        if route is not None:
            return await route(request)
        for service in self.services:
            if service.matches(request):
                return await service.handle(request)
        return self._unknown(request)

    def _unknown(self, request: Request) -> Response:
        service = signing_service(request) or "unknown"
        target = request.header("x-amz-target")
        what = f"{request.method} {request.path}" + (f" ({target})" if target else "")
        log.warning("no service answers %s for signing name %s", what, service)
        body = {
            "__type": "UnknownOperationException",
            "message": f"Lamina does not serve {what} (service {service!r}) yet.",
        }
        return json_response(400, json.dumps(body).encode())

    async def close(self) -> None:
        for service in self.services:
            await service.close()
