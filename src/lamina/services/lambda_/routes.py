"""The Lambda REST API's paths, as botocore's model writes them, and the parsed call a handler
gets. Each route is (method, path template, handler); ``{Label}`` matches one path segment,
percent-decoded."""

from __future__ import annotations

import asyncio
import json
import re
import urllib.parse
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lamina.net.messages import Request, Response
from lamina.services.lambda_.errors import InvalidRequestContentException

if TYPE_CHECKING:
    from lamina.services.lambda_.registry import Registry

# Every dated prefix of the Lambda API (so the endpoint can claim a request by its path alone).
PREFIXES = (
    "/2014-11-13/",
    "/2015-03-31/",
    "/2016-08-19/",
    "/2017-03-31/",
    "/2017-10-31/",
    "/2018-10-31/",
    "/2019-09-25/",
    "/2019-09-30/",
    "/2020-04-22/",
    "/2020-06-30/",
    "/2021-10-31/",
    "/2021-12-01/",
    "/2024-08-31/",
    "/2025-",
)


# Bodies larger than this are parsed off the event loop.
_PARSE_ON_LOOP_BYTES = 256 * 1024


@dataclass(slots=True)
class Call:
    request: Request
    request_id: str
    operation: str
    params: dict[str, str]
    query: dict[str, list[str]] = field(default_factory=dict)

    def q(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def json(self) -> dict[str, Any]:
        if not self.request.body:
            return {}
        try:
            doc = json.loads(self.request.body)
        except ValueError as exc:
            raise InvalidRequestContentException(
                f"Could not parse request body into json: {exc}"
            ) from exc
        if not isinstance(doc, dict):
            raise InvalidRequestContentException("Could not parse request body into json")
        return doc

    async def json_body(self) -> dict[str, Any]:
        """``json()``, parsed on a worker thread when the body is large (a zip of up to 50 MB
        arrives base64 in JSON: parsing it on the event loop would stall every other client)."""
        if len(self.request.body) > _PARSE_ON_LOOP_BYTES:
            return await asyncio.get_running_loop().run_in_executor(None, self.json)
        return self.json()

    def reply(self, status: int, doc: Any = None) -> Response:
        headers = [("x-amzn-RequestId", self.request_id)]
        if doc is None:
            return Response(status, headers, b"")
        headers.append(("Content-Type", "application/json"))
        return Response(status, headers, json.dumps(doc).encode())


Handler = Callable[["Registry", Call], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    operation: str
    handler: Handler
    # Only when this query parameter is present (ListProvisionedConcurrencyConfigs: List=ALL).
    needs_query: str | None = None


def route(method: str, template: str, operation: str, handler: Handler, needs: str = "") -> Route:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts))
    return Route(method, re.compile(f"^{regex}/?$"), operation, handler, needs or None)


def match(routes: Sequence[Route], request: Request) -> tuple[Route, dict[str, str]] | None:
    query = urllib.parse.parse_qs(request.query, keep_blank_values=True)
    for candidate in routes:
        if candidate.method != request.method:
            continue
        found = candidate.pattern.match(request.path)
        if found is None:
            continue
        if candidate.needs_query and candidate.needs_query not in query:
            continue
        params = {k: urllib.parse.unquote(v) for k, v in found.groupdict().items()}
        return candidate, params
    return None


def paginate(
    items: Sequence[Any], marker: str | None, max_items: str | None, default: int = 50
) -> tuple[list[Any], str | None]:
    """One page and the marker of the next (an opaque position, as Lambda's markers are)."""
    start = int(marker) if marker and marker.isdigit() else 0
    size = int(max_items) if max_items and max_items.isdigit() and int(max_items) > 0 else default
    page = list(items[start : start + size])
    more = start + size < len(items)
    return page, (str(start + size) if more else None)
