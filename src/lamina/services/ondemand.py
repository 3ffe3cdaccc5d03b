"""A service built on its first call: ``OnDemand`` stands in for it until then.

``lamina up`` serves nineteen AWS services, and a template uses a few. A service the template
declares nothing for and that holds no state yet (no database in the state directory) is not
imported, built or given a database at start: an ``OnDemand`` takes its place in the endpoint's
list, knowing only how requests for it look (``Routing``: its ``X-Amz-Target`` prefixes, read
from botocore's model metadata on the first targeted request, and the SigV4 service names it
answers to). The first call builds it (``make``), deploys the current stack to it, hands it to
``on_built`` (the composition root's wiring: schedules, routes) and then answers; every later
call goes straight to it. The answer a first call gets is the one the built service gives.
``declares`` says whether a stack declares resources of the service: a hot reload that adds
some builds it at once, as a start would have.

The first call may come from another service: an ``OnDemand`` is also a delivery ``Target`` and
an engine ``DestinationSink`` (an SNS topic or an EventBridge rule delivering to it, an async
invocation's destination), and ``ready()`` is what any other path awaits to get the service.
``needs`` are services that must be ready before this one is made (Step Functions' tasks call
the others' handlers in process).

Routing must agree with the built service's ``matches``: for a ``ModelService`` (and services
that route as one does) a request carrying ``X-Amz-Target`` is the service's when the target
starts with one of its models' prefixes, any other when its SigV4 scope names one of
``signing`` (``tests/unit/app/test_ondemand.py`` holds each service to it).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from lamina.delivery import Message, Target
from lamina.engine.api import DestinationSink
from lamina.model.specs import Stack
from lamina.net.messages import Request, Response
from lamina.services.api import Service, signing_service
from lamina.services.protocols import catalog


@dataclass(frozen=True)
class Routing:
    """How a service's requests look, without the service: the botocore models whose target
    prefixes it answers and the SigV4 service names it answers without a target (empty for a
    service that routes on the target alone, as DynamoDB and Kinesis)."""

    models: tuple[str, ...]
    signing: tuple[str, ...] = ()

    @functools.cached_property
    def targets(self) -> tuple[str, ...]:
        found = (catalog.model(name) for name in self.models)
        return tuple(f"{m.target_prefix}." for m in found if m is not None and m.target_prefix)

    def matches(self, request: Request) -> bool:
        target = request.header("x-amz-target")
        if target is not None:
            return target.startswith(self.targets)
        return bool(self.signing) and signing_service(request) in self.signing


class OnDemand:
    """A ``Service`` (and delivery target) that builds the real one when first needed."""

    def __init__(
        self,
        name: str,
        routing: Routing,
        make: Callable[[], Service],
        stack: Stack,
        declares: Callable[[Stack], bool],
        needs: Sequence[OnDemand] = (),
    ) -> None:
        self.name = name
        self.routing = routing
        self._make = make
        self._stack = stack
        self._declares = declares
        self._needs = needs
        self._service: Service | None = None
        self._building: asyncio.Lock | None = None
        # The composition root's wiring of a service built after start (schedules, routes).
        self.on_built: Callable[[Service], Awaitable[None]] | None = None

    @property
    def built(self) -> Service | None:
        """The service, once built and deployed; None before."""
        return self._service

    async def ready(self) -> Service:
        """The service, built and deployed now if it was not (once, whoever asks first)."""
        if self._service is not None:
            return self._service
        if self._building is None:
            self._building = asyncio.Lock()
        async with self._building:
            if self._service is None:
                for need in self._needs:
                    await need.ready()
                service = self._make()
                await service.deploy(self._stack)
                if self.on_built is not None:
                    await self.on_built(service)
                self._service = service
        return self._service

    # -- Service ------------------------------------------------------------------------------

    async def deploy(self, stack: Stack) -> None:
        """Kept for the build; a stack that now declares resources of the service (a hot
        reload) builds it, as a start would have."""
        self._stack = stack
        if self._service is not None:
            await self._service.deploy(stack)
        elif self._declares(stack):
            await self.ready()

    def matches(self, request: Request) -> bool:
        if self._service is not None:
            return self._service.matches(request)
        return self.routing.matches(request)

    async def handle(self, request: Request) -> Response:
        service = self._service or await self.ready()
        return await service.handle(request)

    async def close(self) -> None:
        if self._service is not None:
            await self._service.close()

    # -- Target, DestinationSink ----------------------------------------------------------------

    async def deliver(self, arn: str, message: Message) -> None:
        await cast(Target, await self.ready()).deliver(arn, message)

    async def send(self, arn: str, body: bytes, attributes: Mapping[str, str]) -> None:
        await cast(DestinationSink, await self.ready()).send(arn, body, attributes)
