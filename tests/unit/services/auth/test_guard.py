"""The endpoint's door: rebound host names and foreign origins are turned away before any
signature is looked at; Lamina's own routes need no signature; 'accept any' lets unsigned in."""

from __future__ import annotations

from lamina.net.messages import Request
from lamina.net.sigv4 import MISSING
from lamina.services.auth.guard import Door, host_name
from lamina.services.protocols.wire import JSON

from .test_sigv4 import SECRETS, signed

DOOR = Door.build(SECRETS, "127.0.0.1", 4566)


def bare(host: str, path: str = "/", origin: str | None = None) -> Request:
    headers = [("Host", host)] + ([("Origin", origin)] if origin else [])
    return Request("POST", path, "", headers, b"{}")


def test_a_signed_request_to_a_loopback_name_goes_in() -> None:
    assert DOOR.refuse(signed()) is None


def test_a_rebound_host_name_is_turned_away_even_when_signed() -> None:
    request = signed(url="http://evil.example:4566/")
    turned = DOOR.refuse(request)
    assert turned is not None and turned.forbidden is not None
    assert "evil.example" in turned.error(JSON).message
    assert turned.error(JSON).status == 403


def test_localhost_names_and_the_configured_host_are_lamina_s_own() -> None:
    door = Door.build(SECRETS, "192.168.1.5", 4566)
    for host in ("localhost:4566", "[::1]:4566", "bucket.s3.localhost:4566", "192.168.1.5:4566"):
        turned = door.refuse(bare(host, "/_lamina/health"))
        assert turned is None, host


def test_a_foreign_origin_is_refused_and_the_endpoint_s_own_is_not() -> None:
    turned = DOOR.refuse(bare("127.0.0.1:4566", "/_lamina/health", "https://evil.example"))
    assert turned is not None and turned.error(JSON).status == 403
    assert DOOR.refuse(bare("127.0.0.1:4566", "/_lamina/health", "http://127.0.0.1:4566")) is None
    assert DOOR.refuse(bare("localhost:4566", "/_lamina/health", "http://localhost:4566")) is None


def test_unsigned_aws_calls_are_refused_unless_any_is_accepted() -> None:
    turned = DOOR.refuse(bare("127.0.0.1:4566"))
    assert turned is not None and turned.refusal is not None and turned.refusal.kind == MISSING
    assert turned.error(JSON).code == "MissingAuthenticationTokenException"
    anything = Door.build(SECRETS, "127.0.0.1", 4566, accept_any=True)
    assert anything.refuse(bare("127.0.0.1:4566")) is None


def test_host_names_lose_their_port_and_case() -> None:
    assert host_name("LocalHost:4566") == "localhost"
    assert host_name("[::1]:4566") == "[::1]"
    assert host_name("127.0.0.1") == "127.0.0.1"


def test_a_prometheus_scrape_needs_no_signature_but_a_loopback_host() -> None:
    """An unsigned GET /metrics goes in; from a foreign Host or Origin it is refused; any other
    method, or a presigned query, still needs its signature (a bucket named metrics is S3's)."""

    def get(host: str, query: str = "", method: str = "GET", origin: str | None = None) -> Request:
        headers = [("Host", host)] + ([("Origin", origin)] if origin else [])
        return Request(method, "/metrics", query, headers, b"")

    assert DOOR.refuse(get("127.0.0.1:4566")) is None
    assert DOOR.refuse(get("evil.example")) is not None
    assert DOOR.refuse(get("localhost", origin="https://evil.example")) is not None
    assert DOOR.refuse(get("localhost", method="PUT")) is not None
    assert DOOR.refuse(get("localhost", query="X-Amz-Credential=x")) is not None
