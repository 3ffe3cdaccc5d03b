"""Access log lines (pure)."""

from __future__ import annotations

from lamina.gateway.accesslog import Record, formatted, line
from lamina.gateway.events import Call
from lamina.gateway.routing import Match, Router

from .support import api, lambda_route, request


def test_lamina_line() -> None:
    """Method, path, status, latency, function, request id."""
    record = Record("GET", "/Prod/a", 200, 1.234, 5, "Fn", "rid")
    assert line(record) == "GET /Prod/a 200 1.23 ms Fn rid"


def test_context_format() -> None:
    """$context variables are replaced; unknown ones are '-'; text after a variable stays."""
    router = Router([api(lambda_route("GET", "/a"))])
    req = request("GET", "/Prod/a", headers=[("Host", "h"), ("User-Agent", "ua")])
    found = router.match("GET", "h", "/Prod/a")
    assert isinstance(found, Match)
    call = Call(req, found, "rid", "t", req.received_at, "1", "us-east-1")
    record = Record("GET", "/Prod/a", 200, 3.6, 7, "Fn", "rid", call)
    template = '{"id":"$context.requestId","ip":"$context.identity.sourceIp","s":$context.status,"x":"$context.identity.caller"} $context.stage.'
    assert formatted(record, template) == '{"id":"rid","ip":"127.0.0.1","s":200,"x":"-"} Prod.'
