"""Who may use the console: the holder of the token ``lamina up`` printed, in this browser.

The console can run code (its form sends requests to the APIs, which invoke functions), so it
follows issue 12's rule: nothing a web page or another local user can reach runs code without a
secret. The banner's URL carries a random ``token`` (as Jupyter's does); opening it exchanges
the token for an ``HttpOnly; SameSite=Strict`` cookie holding a second random value (the
session), and the browser is sent on to the same page without the token, so the token does not
linger in the address bar or the history. Every console request, the live stream included, must
carry the session cookie (or the token itself); anything else gets 403.

A state-changing request (POST) needs the cookie *and* an ``Origin`` equal to the console's own
(``http://`` + the ``Host`` it was sent to): ``SameSite=Strict`` already keeps other sites'
pages from sending the cookie, and the origin check holds where a browser does not honour it.
The endpoint's door (``services.auth.guard``) has checked ``Host`` and ``Origin`` before any of
this runs, so a rebinding host name never reaches the console.

Both secrets live in memory only: a restart of ``lamina up`` prints a new URL.
"""

from __future__ import annotations

import hmac
import secrets
import urllib.parse

from lamina.net.messages import Request

COOKIE = "lamina_console"
# The cookie is sent back only to the console's own paths.
COOKIE_PATH = "/_lamina/console/"


class Access:
    def __init__(self, token: str | None = None, session: str | None = None) -> None:
        self.token = token or secrets.token_urlsafe(32)
        self._session = session or secrets.token_urlsafe(32)

    def token_in(self, request: Request) -> bool:
        """The request's query carries the console's token."""
        given = urllib.parse.parse_qs(request.query).get("token", [""])[0]
        return hmac.compare_digest(given.encode(), self.token.encode())

    def admits(self, request: Request) -> bool:
        """The request carries the session cookie, or the token."""
        for header in request.header_values("cookie"):
            for part in header.split(";"):
                name, _, value = part.strip().partition("=")
                if name == COOKIE and hmac.compare_digest(value.encode(), self._session.encode()):
                    return True
        return self.token_in(request)

    def same_origin(self, request: Request) -> bool:
        """A state-changing request comes from a page of the console's own origin."""
        origin = request.header("origin")
        host = request.header("host")
        return origin is not None and host is not None and origin == f"http://{host}"

    def set_cookie(self) -> tuple[str, str]:
        """The header that hands the browser its session."""
        return (
            "Set-Cookie",
            f"{COOKIE}={self._session}; Path={COOKIE_PATH}; HttpOnly; SameSite=Strict",
        )
