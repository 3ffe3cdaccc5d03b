"""``HTTP_PROXY`` integrations: the request forwarded to a URL, the answer passed back.

The URL may use the route's path parameters (``http://backend/{proxy}``; its stage variables are
filled in at deploy time, ``stagevars``); the query string is forwarded as is. API Gateway's
forwarding headers are added and hop-by-hop headers dropped in both directions. One connection
per request (``Connection: close``): simple, and a local backend makes it cheap.

Contract of ``forward``: returns the backend's response; raises ``TimeoutError`` when the backend
takes longer than ``timeout_s`` and ``OSError`` (``ConnectionError``) when it cannot be reached or
answers something that is not HTTP.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from urllib.parse import quote, urlsplit

import httptools

from lamina.net.messages import Response

_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "host",
        "content-length",
    }
)
_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.\-]+?)\+?\}")


def target_url(template: str, params: dict[str, str], query: str) -> str:
    """The URL to forward to: placeholders filled in, the client's query string appended."""
    url = _PLACEHOLDER.sub(lambda m: quote(params.get(m.group(1), ""), safe="/"), template)
    if query:
        url += ("&" if "?" in url else "?") + query
    return url


class _Reader:
    """httptools callbacks collecting one response."""

    def __init__(self) -> None:
        self.headers: list[tuple[str, str]] = []
        self.body: list[bytes] = []
        self.done = False

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.done = True


async def _exchange(url: str, method: str, headers: list[tuple[str, str]], body: bytes) -> Response:
    parts = urlsplit(url)
    secure = parts.scheme == "https"
    host = parts.hostname or "localhost"
    port = parts.port or (443 if secure else 80)
    context = ssl.create_default_context() if secure else None
    reader, writer = await asyncio.open_connection(host, port, ssl=context)
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}"]
        lines += [f"{n}: {v}" for n, v in headers if n.lower() not in _HOP_BY_HOP]
        lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
        writer.write("\r\n".join(lines).encode("latin-1", "replace") + body)
        await writer.drain()
        collected = _Reader()
        parser = httptools.HttpResponseParser(collected)
        while not collected.done:
            chunk = await reader.read(65536)
            if not chunk:
                break  # a response without a length ends when the connection does
            try:
                parser.feed_data(chunk)
            except httptools.HttpParserError as exc:
                raise ConnectionError(f"{url} answered something that is not HTTP") from exc
        if not collected.done and not collected.headers:
            raise ConnectionError(f"{url} closed the connection without answering")
        kept = [(n, v) for n, v in collected.headers if n.lower() not in _HOP_BY_HOP]
        return Response(parser.get_status_code(), kept, b"".join(collected.body))
    finally:
        writer.close()


async def forward(
    url: str, method: str, headers: list[tuple[str, str]], body: bytes, timeout_s: float
) -> Response:
    """Forward one request to ``url`` (see the module's contract)."""
    async with asyncio.timeout(timeout_s):
        return await _exchange(url, method, headers, body)
