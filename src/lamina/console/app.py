"""The web console: one static page and the JSON and server-sent events it reads, under
``/_lamina/console/`` on the AWS endpoint.

Routes (exact paths, registered on the endpoint by the composition root):

* ``/_lamina/console/`` the page; ``?token=`` (the banner's URL) is exchanged for the session
  cookie and the browser sent on to the bare page (``access``);
* ``console.js``, ``console.css`` the page's script and style, shipped in the package;
* ``api/state`` everything listed (functions with their recent invocations, APIs and routes,
  tables, queues, buses and rules, schedules, state machines, panels);
* ``api/invocation?function=&request=`` one invocation's log, read from the ``LogStore``;
* ``api/table?name=`` a table's first page; ``api/queue?name=`` a peek at a queue;
* ``api/send`` (POST) a request to the APIs, answered with their response;
* ``api/executions?machine=`` a state machine's latest executions; ``api/execution-graph?arn=``
  an execution drawn as its states' graph and ``api/trace-waterfall?id=`` a trace as a
  waterfall, both SVG built here from escaped text (``diagrams``);
* ``events`` the live stream (server-sent events from the ``Feed``).

Every route answers 403 without the session (or the token); ``api/send`` also needs the
console's own ``Origin``. Answers are JSON, the shipped files or the diagrams' SVG (every
value in it escaped), never HTML built from data: the page puts every value in the document as
text. The page's Content-Security-Policy allows scripts and styles from the console only, so
even a value that slipped into markup could not run.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import Awaitable, Callable
from importlib import resources

from lamina import fastjson
from lamina.console import diagrams, panels, views
from lamina.console.access import Access
from lamina.console.feed import Feed
from lamina.errors import AwsError
from lamina.net.messages import Request, Response, StreamingResponse

PREFIX = "/_lamina/console/"
Route = Callable[[Request], Awaitable[Response]]
# The largest request the form sends on (API Gateway's payload quota).
MAX_SEND_BYTES = 10 * 1024 * 1024

_SECURITY = [
    ("X-Content-Type-Options", "nosniff"),
    ("Cache-Control", "no-store"),
    ("Referrer-Policy", "no-referrer"),
]
_PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_STATIC = {
    "": ("index.html", "text/html; charset=utf-8"),
    "console.js": ("console.js", "text/javascript; charset=utf-8"),
    "console.css": ("console.css", "text/css; charset=utf-8"),
}
_FORBIDDEN = (
    "Forbidden: open the console with the URL `lamina up` printed (it carries the token).\n"
)


def _json(status: int, body: object) -> Response:
    return Response(
        status,
        [("Content-Type", "application/json"), *_SECURITY],
        fastjson.dumps(body),
    )


def _error(status: int, message: str) -> Response:
    return _json(status, {"message": message})


class Console:
    def __init__(
        self, deployment: views.Deployment, feed: Feed, access: Access | None = None
    ) -> None:
        self.deployment = deployment
        self.feed = feed
        self.access = access or Access()
        self._panels: list[panels.Panel] = []
        self._files: dict[str, bytes] = {}

    def add_panel(self, panel: panels.Panel) -> None:
        """Show ``panel`` (metrics, traces: see ``panels``)."""
        self._panels.append(panel)

    def url(self, base: str) -> str:
        """The console's address on the endpoint at ``base``, with its token."""
        return f"{base}{PREFIX}?token={self.access.token}"

    def routes(self) -> dict[str, Route]:
        routes: dict[str, Route] = {
            PREFIX + "api/state": self._state,
            PREFIX + "api/invocation": self._invocation,
            PREFIX + "api/table": self._table,
            PREFIX + "api/queue": self._queue,
            PREFIX + "api/send": self._send,
            PREFIX + "api/executions": self._executions,
            PREFIX + "api/execution-graph": self._execution_graph,
            PREFIX + "api/trace-waterfall": self._trace_waterfall,
            PREFIX + "events": self._events,
        }
        for name in _STATIC:
            routes[PREFIX + name] = self._static
        return {path: self._guarded(route) for path, route in routes.items()}

    def close(self) -> None:
        self.feed.close()

    # -- the guard -------------------------------------------------------------------------

    def _guarded(self, route: Route) -> Route:
        access = self.access

        async def guarded(request: Request) -> Response:
            if request.path == PREFIX and request.method == "GET" and access.token_in(request):
                # The token for a cookie, and the token out of the address bar.
                return Response(
                    303,
                    [("Location", PREFIX), access.set_cookie(), *_SECURITY],
                )
            if not access.admits(request):
                return Response(
                    403, [("Content-Type", "text/plain"), *_SECURITY], _FORBIDDEN.encode()
                )
            if request.method not in ("GET", "HEAD") and not access.same_origin(request):
                return _error(403, "The console accepts changes from its own page only.")
            return await route(request)

        return guarded

    # -- routes ----------------------------------------------------------------------------

    async def _static(self, request: Request) -> Response:
        name, content_type = _STATIC[request.path.removeprefix(PREFIX)]
        data = self._files.get(name)
        if data is None:
            data = self._files[name] = (
                resources.files("lamina.console").joinpath("static", name).read_bytes()
            )
        headers = [("Content-Type", content_type), *_SECURITY]
        if name == "index.html":
            headers.append(("Content-Security-Policy", _PAGE_POLICY))
        return Response(200, headers, data)

    async def _state(self, request: Request) -> Response:
        deployment = self.deployment
        stack = deployment.stack
        return _json(
            200,
            {
                "stack": stack.name if stack else None,
                "functions": views.functions(deployment, self.feed),
                "apis": views.apis(deployment),
                "tables": views.tables(deployment),
                "queues": views.queues(deployment),
                "buses": views.buses(deployment),
                "schedules": views.schedules(deployment),
                "stateMachines": await views.state_machines(deployment),
                "panels": panels.document(self._panels),
            },
        )

    async def _invocation(self, request: Request) -> Response:
        query = _query(request)
        function, request_id = query.get("function", ""), query.get("request", "")
        invocation = self.feed.find(function, request_id)
        spec = self.deployment.functions().get(function)
        store = self.deployment.log_store
        if invocation is None or spec is None or store is None:
            return _error(404, f"No recent invocation {request_id} of {function}.")
        # Reading flushes what the engine just wrote: off the loop.
        events = await asyncio.to_thread(store.events, spec.log_group, invocation.stream)
        lines, inside = [], False
        for event in events:
            if not inside and request_id in event.message and _starts(event.message):
                inside = True
            if inside:
                lines.append({"timestamp": event.timestamp, "message": event.message})
                if _ends(event.message) and request_id in event.message:
                    break
        return _json(200, {"invocation": invocation.document(), "lines": lines})

    async def _table(self, request: Request) -> Response:
        try:
            return _json(200, views.scan(self.deployment, _query(request).get("name", "")))
        except LookupError as exc:
            return _error(404, str(exc))
        except Exception as exc:  # DynamoDB's own errors (ResourceNotFoundException, ...)
            return _error(400, str(exc))

    async def _queue(self, request: Request) -> Response:
        try:
            return _json(200, views.peek(self.deployment, _query(request).get("name", "")))
        except LookupError as exc:
            return _error(404, str(exc))

    async def _executions(self, request: Request) -> Response:
        machine = _query(request).get("machine", "")
        return await _drawn(lambda: diagrams.executions(self.deployment, machine), _json)

    async def _execution_graph(self, request: Request) -> Response:
        execution = _query(request).get("arn", "")
        return await _drawn(lambda: diagrams.execution_graph(self.deployment, execution), _svg)

    async def _trace_waterfall(self, request: Request) -> Response:
        trace = _query(request).get("id", "")
        return await _drawn(lambda: diagrams.trace_waterfall(self.deployment, trace), _svg)

    async def _send(self, request: Request) -> Response:
        """Send the form's request to the APIs in process, as a client on the APIs' port would
        send it, and answer with what they answered."""
        if request.method != "POST":
            return _error(405, "Send a request with POST.")
        if len(request.body) > MAX_SEND_BYTES:
            return _error(413, "The request is larger than API Gateway's 10 MB quota.")
        try:
            form = fastjson.loads(request.body)
            method = str(form["method"]).upper()
            target = str(form["path"])
            headers = [(str(k), str(v)) for k, v in dict(form.get("headers") or {}).items()]
            body = str(form.get("body") or "").encode()
        except (ValueError, KeyError, TypeError, AttributeError):
            return _error(400, "Expected {method, path, headers, body}.")
        if not target.startswith("/") or not method.isalpha():
            return _error(400, "The path must start with / and the method be a word.")
        path, _, query = target.partition("?")
        if not any(k.lower() == "host" for k, _ in headers):
            headers.append(("Host", "localhost"))
        if body and not any(k.lower() == "content-length" for k, _ in headers):
            headers.append(("Content-Length", str(len(body))))
        sent = Request(method, path, query, headers, body)
        response = await self.deployment.send(sent)
        text = response.body.decode("utf-8", "replace")
        return _json(
            200,
            {"status": response.status, "headers": response.headers, "body": text},
        )

    async def _events(self, request: Request) -> Response:
        last = request.header("last-event-id")
        after = int(last) if last is not None and last.isdigit() else None
        return StreamingResponse(
            200,
            [("Content-Type", "text/event-stream"), *_SECURITY],
            self.feed.subscribe(after),
        )


def _svg(status: int, drawing: object) -> Response:
    return Response(
        status,
        [("Content-Type", "image/svg+xml; charset=utf-8"), *_SECURITY],
        str(drawing).encode(),
    )


async def _drawn(
    read: Callable[[], Awaitable[object]], answer: Callable[[int, object], Response]
) -> Response:
    """A diagram's answer: 404 for what is not here, 400 worded by the service for a bad ARN
    or id, else ``answer``."""
    try:
        return answer(200, await read())
    except LookupError as exc:
        return _error(404, str(exc))
    except AwsError as exc:
        return _error(400, f"{exc.code}: {exc.message}")


def _query(request: Request) -> dict[str, str]:
    return {k: v[0] for k, v in urllib.parse.parse_qs(request.query).items()}


def _starts(message: str) -> bool:
    return message.startswith("START ") or '"platform.start"' in message


def _ends(message: str) -> bool:
    return message.startswith("REPORT ") or '"platform.report"' in message
