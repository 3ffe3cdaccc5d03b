"""REST ``MOCK`` integrations: API Gateway answers by itself, without calling anything.

Pure. The answer is the integration's default response: its status code, the headers its
``responseParameters`` map to literal values (``'*'``) and the body of its ``application/json``
response template. SAM's ``Cors`` on a REST API is exactly this: an ``OPTIONS`` method per path
with a mock integration returning the configured ``Access-Control-*`` headers.
"""

from __future__ import annotations

from lamina.gateway.events import Call
from lamina.model.apis import MockResponse
from lamina.net.messages import Response


def answer(mock: MockResponse) -> Response:
    headers = list(mock.headers.items())
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return Response(mock.status, headers, mock.body.encode())


class Mock:
    """A ``MOCK`` integration: the same answer to every call."""

    __slots__ = ("_mock", "function")

    def __init__(self, mock: MockResponse) -> None:
        self._mock = mock
        self.function: str | None = None

    async def __call__(self, call: Call, /) -> Response:
        # A fresh Response each time: later steps add headers to it.
        return answer(self._mock)
