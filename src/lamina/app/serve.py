"""``lamina up``: one template deployed and served until stopped.

Start order: the zygote warms up while the template is read; the AWS endpoint binds first and
answers ``/_lamina/health`` with 503 until the engine (with its provisioned environments), the
services and the gateway are all up, then 200. Stop order: stop accepting, close the services,
then the engine (which stops every environment).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lamina import app
from lamina.engine.engine import LocalEngine
from lamina.model.specs import Stack
from lamina.net.messages import Request, Response, json_response
from lamina.net.server import serve
from lamina.services.api import Service
from lamina.services.endpoint import Endpoint
from lamina.settings import Settings

log = logging.getLogger("lamina")
Handler = Callable[[Request], Awaitable[Response]]


async def _not_found(request: Request) -> Response:
    return json_response(404, b'{"message":"Not Found"}')


@dataclass
class Served:
    """What is listening where, for the CLI to print."""

    api_url: str
    services_url: str
    functions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class Lamina:
    def __init__(
        self,
        template: Path,
        settings: Settings,
        parameter_overrides: Mapping[str, str] | None = None,
        note: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.template = app.find_template(template)
        self.settings = settings
        self.overrides = dict(parameter_overrides or {})
        self.note = note
        self.stack: Stack | None = None
        self.engine: LocalEngine | None = None
        self.services: list[Service] = []
        self.gateway: Handler = _not_found
        self._ready = False
        self._started_at = time.time()
        self._servers: list[asyncio.Server] = []
        self.endpoint = Endpoint([], {"/_lamina/health": self._health})

    # -- start / stop ----------------------------------------------------------------------

    async def start(self) -> Served:
        settings = self.settings
        zygote = app.launch_zygote(settings)
        services_server = await serve(self.endpoint, settings.host, settings.services_port)
        self._servers.append(services_server)
        loop = asyncio.get_running_loop()
        self.stack = await loop.run_in_executor(
            None, lambda: app.load(self.template, settings, self.overrides, self.note)
        )
        self.engine = app.build_engine(self.stack, settings, zygote)
        await self.engine.start()
        self.services = build_services(self.stack, settings, self.engine)
        for service in self.services:
            await service.deploy(self.stack)
        self.endpoint.services = list(self.services)
        api_server = await serve(self._gateway, settings.host, settings.port)
        self._servers.append(api_server)
        self._ready = True
        return Served(
            api_url=f"http://{settings.host}:{_port(api_server)}",
            services_url=f"http://{settings.host}:{_port(services_server)}",
            functions=sorted(self.stack.functions),
            warnings=[w for w in (self.stack.unsupported_warning(), *self.stack.warnings) if w],
        )

    async def close(self) -> None:
        self._ready = False
        for server in self._servers:
            server.close()
        for server in self._servers:
            await server.wait_closed()
        await self.endpoint.close()
        if self.engine is not None:
            await self.engine.close()

    # -- handlers --------------------------------------------------------------------------

    async def _gateway(self, request: Request) -> Response:
        return await self.gateway(request)

    async def _health(self, request: Request) -> Response:
        if not self._ready or self.stack is None:
            return json_response(503, b'{"status":"starting"}')
        body = {
            "status": "ok",
            "template": str(self.template),
            "functions": sorted(self.stack.functions),
            "services": [s.name for s in self.services],
            "uptime_s": round(time.time() - self._started_at, 3),
        }
        return json_response(200, json.dumps(body).encode())


def build_services(stack: Stack, settings: Settings, engine: LocalEngine) -> list[Service]:
    """The AWS services this deployment serves on the endpoint (each may be sent to a real
    backend instead with ``settings.endpoints``, and is then not built here)."""
    services: list[Service] = []
    return services


def _port(server: asyncio.Server) -> int:
    return int(server.sockets[0].getsockname()[1])
