"""``lamina invoke``: one function run once, with the AWS services its code calls.

A handler calling boto3 reaches the template's tables, queues, buckets, topics... as under
``lamina up``: the AWS endpoint is served on a free port of the host for the run (the function's
``AWS_ENDPOINT_URL`` names it, signed with the state directory's key pair), on the same state as
``lamina up`` (what the run wrote is there for the next ``lamina up``, and the other way round).
What only a long-running Lamina does is left out: no gateway, no event source mappings, no
schedules, no file watcher, and no provisioned environments (the one invoked starts on demand).

Order: the endpoint binds first (the functions' environment must name its port), then the template
is read, the engine and the services are built and deployed. ``close`` stops accepting, closes
the services, then the engine; it may be called after a failed ``start``.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType

from lamina import app, credentials
from lamina.app import statelock
from lamina.app.services import build_services
from lamina.delivery import Deliveries
from lamina.engine.engine import LocalEngine
from lamina.engine.lambdatarget import LambdaTarget
from lamina.engine.zygote import ZygoteProcess
from lamina.model.lambdas import template_functions
from lamina.model.specs import Stack
from lamina.net.server import serve
from lamina.observe.api import LogSink
from lamina.observe.console import Fanout
from lamina.observe.store import LogStore
from lamina.services.api import Service
from lamina.services.auth.guard import Door
from lamina.services.endpoint import Endpoint
from lamina.services.lambda_.service import LambdaService
from lamina.settings import Settings


class OneShot:
    def __init__(
        self,
        template: Path,
        settings: Settings,
        overrides: Mapping[str, str],
        zygote: ZygoteProcess,
        *,
        note: Callable[[str], None],
        log_sink: LogSink,
    ) -> None:
        self.template = template
        self.settings = settings
        self.overrides = overrides
        self.zygote = zygote
        self.note = note
        self.log_sink = log_sink
        self.stack: Stack | None = None
        self.engine: LocalEngine | None = None
        self.services: list[Service] = []
        self._endpoint = Endpoint([], {})
        self._log_store: LogStore | None = None
        self._server: asyncio.Server | None = None
        self._lock: statelock.StateLock | None = None

    async def start(self) -> LocalEngine:
        """Serve the endpoint, deploy the template; the engine to invoke on."""
        settings = self.settings
        # Before any store opens: one process at a time serves a state directory.
        self._lock = statelock.take(settings.state_dir, "lamina invoke")
        pair = credentials.load_or_create(settings.state_dir)
        settings = settings.with_(
            access_key_id=pair.access_key_id, secret_access_key=pair.secret_access_key
        )
        # Any free port: a run of `lamina invoke` must not collide with a `lamina up`.
        server = await serve(self._endpoint, "127.0.0.1", 0)
        self._server = server
        port = int(server.sockets[0].getsockname()[1])
        self._endpoint.door = Door.build(
            {pair.access_key_id: pair.secret_access_key},
            "127.0.0.1",
            port,
            accept_any=settings.accept_any_credentials,
        )
        settings = self.settings = settings.with_(
            services_port=port, services_endpoint=f"http://127.0.0.1:{port}"
        )
        stack = self.stack = _without_provisioned(
            app.load(self.template, settings, self.overrides, self.note)
        )
        self._log_store = app.build_log_store(settings)
        sink = Fanout([self.log_sink, self._log_store])
        engine = self.engine = app.build_engine(settings, self.zygote, log_sink=sink)
        deliveries = Deliveries()
        # A run calls a few services at most: the others are built only if its code calls them.
        self.services = build_services(
            stack, settings, engine, self._log_store, deliveries, on_demand=True
        )
        served = False
        for service in self.services:
            if isinstance(service, LambdaService):
                await service.deploy(stack, ())
                served = True
            else:
                await service.deploy(stack)
        if not served:
            await engine.deploy(template_functions(stack))
        await engine.start()
        deliveries.serve("lambda", LambdaTarget(engine))
        self._endpoint.services = list(self.services)
        return engine

    async def close(self) -> None:
        server = self._server
        if server is not None:
            server.close()
            await server.wait_closed()
        await self._endpoint.close()
        if self.engine is not None:
            await self.engine.close()  # closes the zygote too
        else:
            await self.zygote.close()  # the template failed to load (or its build)
        if self._log_store is not None:
            self._log_store.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def _without_provisioned(stack: Stack) -> Stack:
    """One run starts only the environment it invokes."""
    functions = {
        logical_id: dataclasses.replace(fn, provisioned_concurrency=0)
        for logical_id, fn in stack.functions.items()
    }
    return dataclasses.replace(stack, functions=MappingProxyType(functions))
