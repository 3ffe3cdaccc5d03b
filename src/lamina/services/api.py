"""The seam between the AWS endpoint and each service it serves.

A ``Service`` says whether a request is for it (by SigV4 credential scope, ``X-Amz-Target`` or
path) and answers it. Services never raise for a bad request: they answer with the error document
their protocol uses.

Order of calls: ``deploy(stack)`` once before the first request and again after each hot reload
(create what the template declares: tables, queues, functions in the Lambda API; never delete
data a client created); ``matches``/``handle`` any number of times, concurrently;
``close()`` once at shutdown, after the endpoint stops accepting requests.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from lamina.model.schedules import ScheduleSpec
from lamina.model.specs import Stack
from lamina.net.messages import BodySink, Request, Response
from lamina.services.auth import forms

_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request")


class Service(Protocol):
    name: str

    async def deploy(self, stack: Stack) -> None: ...

    def matches(self, request: Request) -> bool: ...

    async def handle(self, request: Request) -> Response: ...

    async def close(self) -> None: ...


@runtime_checkable
class ScheduleOwner(Protocol):
    """A service whose API makes schedules (EventBridge's schedule rules, Scheduler's
    schedules): the runner in ``sources/schedules.py`` runs its whole set under its name, and it
    says each new set to the callback ``on_schedules`` gave it (from any thread)."""

    schedule_owner: str

    def schedule_specs(self) -> list[ScheduleSpec]: ...

    def on_schedules(self, changed: Callable[[list[ScheduleSpec]], None]) -> None: ...

    def schedule_completed(self, spec: ScheduleSpec) -> None:
        """``spec`` has no time left to fire (called on a worker thread)."""


@runtime_checkable
class BrowserAccess(Protocol):
    """A service a web page may call (S3, by its buckets' CORS rules): the endpoint asks it
    about requests with an ``Origin`` before its door turns them away."""

    def preflight(self, request: Request) -> Response | None:
        """The answer to a CORS preflight (``OPTIONS`` with ``Access-Control-Request-Method``)
        when it is this service's to give (it carries no signature and runs nothing)."""

    def allows_origin(self, request: Request, origin: str) -> bool:
        """Whether the service's own configuration lets ``origin`` make ``request``."""


@runtime_checkable
class BodyStreams(Protocol):
    """A service that takes some request bodies as they arrive rather than whole (S3's large
    uploads): the endpoint's ``incoming`` asks it, from the request's head alone."""

    def incoming(
        self,
        method: str,
        path: str,
        query: str,
        index: dict[str, str],
        resume: Callable[[], None],
    ) -> BodySink | Response | None:
        """A ``BodySink`` for the body, an answer refusing it, or None (buffer it)."""


def signing_scope(request: Request) -> tuple[str, str] | None:
    """(region, service) from a SigV4 Authorization header, as every AWS SDK and the CLI send,
    or from a presigned URL's ``X-Amz-Credential``."""
    auth = request.header("authorization")
    if not auth:
        if "X-Amz-Credential=" not in request.query:
            return None
        credential = urllib.parse.parse_qs(request.query).get("X-Amz-Credential", [""])[0]
        parts = credential.split("/")
        return (parts[2], parts[3]) if len(parts) == 5 and parts[4] == "aws4_request" else None
    match = _SCOPE.search(auth)
    return (match.group(1), match.group(2)) if match else None


def signing_service(request: Request) -> str | None:
    scope = signing_scope(request)
    if scope is None and "AWSAccessKeyId=" in request.query:
        return "s3"  # a SigV2 presigned URL: only S3 has them
    if scope is None and forms.is_form(request):
        return "s3"  # a browser form's POST policy upload: only S3 takes them
    return scope[1] if scope else None
