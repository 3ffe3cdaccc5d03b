"""Who the console admits: the token's holder, then the cookie it was exchanged for."""

from __future__ import annotations

from lamina.console.access import Access
from lamina.net.messages import Request


def _request(query: str = "", **headers: str) -> Request:
    return Request(
        "GET", "/_lamina/console/", query, [(k.replace("_", "-"), v) for k, v in headers.items()]
    )


def test_token_and_session_cookie_admit_anything_else_does_not() -> None:
    """The token in the query or the session cookie admits; a guessed cookie, the token in a
    cookie, a wrong or empty token do not."""
    access = Access("the-token", "the-session")
    name, value = access.set_cookie()
    assert name == "Set-Cookie"
    assert "HttpOnly" in value and "SameSite=Strict" in value and "Path=/_lamina/console/" in value
    assert access.admits(_request("token=the-token"))
    assert access.admits(_request(cookie="other=1; lamina_console=the-session"))
    assert not access.admits(_request())
    assert not access.admits(_request("token="))
    assert not access.admits(_request("token=the-token-not"))
    assert not access.admits(_request(cookie="lamina_console=the-token"))


def test_changes_need_the_consoles_own_origin() -> None:
    """A state-changing request must come from a page of the console's origin: none, another
    port or another host is refused."""
    access = Access()
    host = "127.0.0.1:4566"
    assert access.same_origin(_request(host=host, origin="http://127.0.0.1:4566"))
    assert not access.same_origin(_request(host=host))
    assert not access.same_origin(_request(host=host, origin="http://127.0.0.1:3000"))
    assert not access.same_origin(_request(host=host, origin="http://evil.example"))


def test_every_start_has_new_secrets() -> None:
    """Two consoles never share a token or a session."""
    one, two = Access(), Access()
    assert one.token != two.token
    assert one.set_cookie() != two.set_cookie()
