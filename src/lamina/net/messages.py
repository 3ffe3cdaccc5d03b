"""The request and response a handler sees: plain data, raw bytes, headers in their order."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Request:
    method: str
    # The raw path as sent (percent-encoding kept) and the raw query string (without "?").
    path: str
    query: str
    # Header names as the client spelled them, in order, repeated names kept.
    headers: list[tuple[str, str]]
    body: bytes = b""
    http_version: str = "1.1"
    client: tuple[str, int] = ("127.0.0.1", 0)
    server: tuple[str, int] = ("127.0.0.1", 0)
    # Epoch seconds at which the request was fully read.
    received_at: float = 0.0
    # Lower-cased name -> first value; built on the first lookup unless the server gave it.
    index: dict[str, str] | None = field(default=None, repr=False, compare=False)

    def header(self, name: str, default: str | None = None) -> str | None:
        """The first value of a header, matched without regard to case."""
        index = self.index
        if index is None:
            index = self.index = first_values(self.headers)
        return index.get(name.lower(), default)

    def header_values(self, name: str) -> list[str]:
        lowered = name.lower()
        return [value for key, value in self.headers if key.lower() == lowered]

    @property
    def host(self) -> str:
        return self.header("host") or f"{self.server[0]}:{self.server[1]}"


def first_values(headers: list[tuple[str, str]]) -> dict[str, str]:
    index: dict[str, str] = {}
    for key, value in headers:
        index.setdefault(key.lower(), value)
    return index


@dataclass(slots=True)
class Response:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None


def json_response(status: int, body: bytes, extra: list[tuple[str, str]] | None = None) -> Response:
    headers = [("Content-Type", "application/json")]
    if extra:
        headers += extra
    return Response(status, headers, body)
