"""The AWS endpoint: routes each request to the service it is for.

Every request first passes the door (``lamina.services.auth.guard``: host, origin, SigV4
signature), then Lamina's own routes (``/_lamina/...``: health, later metrics and the console) are
matched; then each service is asked in turn. A request turned away at the door is answered in the
protocol its client spoke; a large body's signature is checked off the event loop (hashing it
would stall every other client). A request no service claims is answered in the protocol its
client spoke (``lamina.services.protocols``), naming the AWS service and operation it asked for
("Lamina does not serve sns:Publish yet."), with the code that protocol's clients expect for an
operation a service does not have, so an SDK raises a clean error and the AWS CLI prints one line.
Identifying the service may read botocore's models: that runs off the event loop.

``incoming`` is the HTTP server's ``Streamer``: asked as each head completes, it lets a service
that streams bodies (``BodyStreams``: S3's large uploads) take the body as it arrives. Only a
``PUT`` with a body of at least a megabyte (or of unknown length) is looked at further, so the
question costs the other requests a few dictionary reads.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from lamina import ids
from lamina.errors import AwsError
from lamina.net.messages import BodySink, Request, Response
from lamina.services.api import BodyStreams, BrowserAccess, Service, signing_service
from lamina.services.auth.guard import Door, Turned
from lamina.services.errors import NOT_SERVED, UnknownOperationException, render
from lamina.services.protocols import catalog
from lamina.services.protocols.wire import REST_XML, Spoken, spoken

log = logging.getLogger("lamina.services")
Route = Callable[[Request], Awaitable[Response]]


def not_served(request: Request) -> tuple[Spoken, catalog.ServiceModel | None, str]:
    """The request's protocol, the AWS service it is for (when botocore knows it) and a message
    naming what it asked for."""
    name = signing_service(request)
    service = catalog.find(name, request.header("x-amz-target"))
    said = spoken(request, service)
    label = name or (service.signing_name if service else None)
    if label and said.operation:
        what = f"{label}:{said.operation}"
    elif label:
        what = f"{label} ({request.method} {request.path})"
    else:
        what = f"{request.method} {request.path}"
    return said, service, f"Lamina does not serve {what} yet."


async def _answer(request: Request, error: Callable[[str, str], AwsError]) -> Response:
    """An error answer in the protocol the request's client spoke (working that out may read
    botocore's models: off the loop); ``error`` gets the protocol and the "not served" message."""
    loop = asyncio.get_running_loop()
    said, service, message = await loop.run_in_executor(None, not_served, request)
    return render(
        error(said.protocol, message),
        said.protocol,
        ids.request_id(),
        json_version=service.json_version if service else "1.0",
        xml_namespace=service.xml_namespace if service else None,
    )


# Bodies larger than this are hashed for their signature on a worker thread.
_HASH_ON_LOOP_BYTES = 256 * 1024
# Smaller bodies are buffered whatever service they are for.
_STREAMED_FROM = 1024 * 1024


class _Unread:
    """The stream of a head checked before its body: the body is not the door's to hash."""

    def write(self, chunk: bytes) -> bool:
        return False

    def end(self) -> None:
        pass

    def abort(self) -> None:
        pass


_UNREAD = _Unread()


class Endpoint:
    def __init__(
        self,
        services: Sequence[Service],
        routes: dict[str, Route] | None = None,
        door: Door | None = None,
    ) -> None:
        self.services = list(services)
        self.routes = dict(routes or {})
        # None only where a test drives services without signing (the app always sets one).
        self.door = door

    async def __call__(self, request: Request) -> Response:
        door = self.door
        if door is not None:
            if (
                request.method == "OPTIONS"
                and request.header("origin") is not None
                and request.header("access-control-request-method")
            ):
                turned = door.refuse_host(request)
                if turned is not None:
                    return await self._turn_away(request, turned)
                for browser in self.services:
                    if isinstance(browser, BrowserAccess):
                        answer = browser.preflight(request)
                        if answer is not None:
                            return answer
            origin_allowed = self._origin_allowed(request)
            if len(request.body) > _HASH_ON_LOOP_BYTES:
                loop = asyncio.get_running_loop()
                turned = await loop.run_in_executor(
                    None, door.refuse, request, None, origin_allowed
                )
            else:
                turned = door.refuse(request, None, origin_allowed)
            if turned is not None:
                return await self._turn_away(request, turned)
        route = self.routes.get(request.path)
        if route is not None:
            return await route(request)
        return await self.to_services(request)

    def incoming(
        self,
        method: str,
        path: str,
        query: str,
        index: dict[str, str],
        resume: Callable[[], None],
    ) -> BodySink | Response | None:
        """Which service, if any, takes this request's body as it arrives (``Streamer``)."""
        if method != "PUT":
            return None
        length = index.get("content-length")
        if length is not None and (not length.isdigit() or int(length) < _STREAMED_FROM):
            return None
        head: Request | None = None
        for service in self.services:
            if isinstance(service, BodyStreams):
                if head is None:
                    head = Request(method, path, query, list(index.items()), index=index)
                    head.stream = _UNREAD
                if not service.matches(head):
                    continue
                refused = self._refuse_head(head)
                if refused is not None:
                    return refused
                return service.incoming(method, path, query, index, resume)
        return None

    def _refuse_head(self, head: Request) -> Response | None:
        """The door's answer to a large upload's head, before any of its body is read or a
        file opened for it: an unsigned or wrongly signed upload is refused at once, as S3
        refuses it, not after gigabytes were written to disk. The signature covers the
        declared payload hash (``x-amz-content-sha256``); the body is checked against it as
        it arrives. Only S3 streams bodies, so the refusal speaks S3's protocol."""
        door = self.door
        if door is None:
            return None
        turned = door.refuse(head, None, self._origin_allowed(head))
        if turned is None:
            return None
        refusal = turned.error(REST_XML)
        log.warning("refused %s %s: %s", head.method, head.path, refusal.message)
        return render(refusal, REST_XML, ids.request_id())

    def _origin_allowed(self, request: Request) -> bool:
        """A browser's call from an origin the door does not know, that a service allows
        (an S3 bucket's CORS configuration)."""
        origin = request.header("origin")
        if origin is None or self.door is None or origin in self.door.origins:
            return False
        return any(
            s.allows_origin(request, origin) for s in self.services if isinstance(s, BrowserAccess)
        )

    async def to_services(self, request: Request) -> Response:
        """The request answered by the service it is for (a route that is not the request's
        own, as ``/metrics`` for a signed S3 call, hands it on here)."""
        for service in self.services:
            if service.matches(request):
                return await service.handle(request)
        return await self._unknown(request)

    async def _unknown(self, request: Request) -> Response:
        def error(protocol: str, message: str) -> AwsError:
            log.warning("%s", message)
            return NOT_SERVED.get(protocol, UnknownOperationException)(message)

        return await _answer(request, error)

    async def _turn_away(self, request: Request, turned: Turned) -> Response:
        def error(protocol: str, _: str) -> AwsError:
            refused = turned.error(protocol)
            log.warning("refused %s %s: %s", request.method, request.path, refused.message)
            return refused

        return await _answer(request, error)

    async def close(self) -> None:
        for service in self.services:
            await service.close()
