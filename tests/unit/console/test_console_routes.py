"""The console's routes in process: the token exchange, the guard, the page's headers and the
request form's checks (the browser tests drive the same routes through a real `lamina up`)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from lamina import fastjson
from lamina.console.access import Access
from lamina.console.app import PREFIX, Console
from lamina.console.feed import Feed
from lamina.model.specs import FunctionSpec, Stack
from lamina.net.messages import Request, Response
from lamina.observe.store import LogStore
from lamina.services.api import Service

HOST = "127.0.0.1:4566"
COOKIE = ("Cookie", "lamina_console=session")
ORIGIN = ("Origin", f"http://{HOST}")


class _Deployment:
    """A deployment with no stack, whose APIs answer with what they were sent."""

    def __init__(self) -> None:
        self.sent: list[Request] = []

    @property
    def stack(self) -> Stack | None:
        return None

    @property
    def services(self) -> Sequence[Service]:
        return []

    @property
    def log_store(self) -> LogStore | None:
        return None

    def functions(self) -> Mapping[str, FunctionSpec]:
        return {}

    async def send(self, request: Request) -> Response:
        self.sent.append(request)
        return Response(418, [("X-Echo", request.method)], request.body)


def _call(
    console: Console,
    path: str,
    query: str = "",
    headers: Sequence[tuple[str, str]] = (),
    method: str = "GET",
    body: bytes = b"",
) -> Response:
    route = console.routes()[PREFIX + path]
    request = Request(method, PREFIX + path, query, [("Host", HOST), *headers], body)
    return asyncio.run(route(request))


def _console() -> tuple[Console, _Deployment]:
    deployment = _Deployment()
    return Console(deployment, Feed(), Access("token", "session")), deployment


def test_the_token_is_exchanged_for_the_cookie_and_leaves_the_address() -> None:
    """Opening the banner's URL answers 303 to the bare page with the session cookie; the page
    then loads with the cookie alone, under a policy that runs only the console's own script."""
    console, _ = _console()
    exchanged = _call(console, "", "token=token")
    assert exchanged.status == 303
    assert exchanged.header("Location") == PREFIX
    assert (exchanged.header("Set-Cookie") or "").startswith("lamina_console=session;")
    page = _call(console, "", headers=[COOKIE])
    assert page.status == 200 and b"<title>Lamina console</title>" in page.body
    policy = page.header("Content-Security-Policy") or ""
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert _call(console, "").status == 403


def test_the_form_sends_only_from_the_consoles_page_and_checks_its_input() -> None:
    """``api/send`` needs the cookie and the console's Origin; it refuses what is not a request
    (bad JSON, a path not starting with /, GET) with a clear message, and sends the rest to the
    APIs as it was given, answering with their status, headers and body."""
    console, deployment = _console()
    form = {
        "method": "post",
        "path": "/notes?x=1",
        "headers": {"Content-Type": "application/json"},
        "body": '{"a": "<b>"}',
    }
    body = fastjson.dumps(form)
    assert _call(console, "api/send", headers=[COOKIE], method="POST", body=body).status == 403
    evil = ("Origin", "http://127.0.0.1:3000")
    assert (
        _call(console, "api/send", headers=[COOKIE, evil], method="POST", body=body).status == 403
    )
    for bad in (b"{", b'{"path": "/"}', fastjson.dumps({**form, "path": "notes"})):
        refused = _call(console, "api/send", headers=[COOKIE, ORIGIN], method="POST", body=bad)
        assert refused.status == 400, bad
        assert "message" in fastjson.loads(refused.body)
    assert _call(console, "api/send", headers=[COOKIE]).status == 405
    assert deployment.sent == []
    answered = _call(console, "api/send", headers=[COOKIE, ORIGIN], method="POST", body=body)
    assert answered.status == 200
    assert fastjson.loads(answered.body) == {
        "status": 418,
        "headers": [["X-Echo", "POST"]],
        "body": '{"a": "<b>"}',
    }
    (sent,) = deployment.sent
    assert (sent.method, sent.path, sent.query) == ("POST", "/notes", "x=1")
    assert sent.header("content-type") == "application/json"
    assert sent.header("content-length") == str(len(sent.body))
