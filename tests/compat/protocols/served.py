"""An AWS endpoint with services of a test's own, served in-process on a real socket.

``Served(services)`` runs Lamina's HTTP server and ``Endpoint`` on an event loop in a background
thread (port 0); ``client`` gives boto3 clients on it and ``cli`` runs the AWS CLI against it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

import boto3
from botocore.config import Config

from lamina.net.server import HttpProtocol, Limits
from lamina.services.api import Service
from lamina.services.auth.guard import Door
from lamina.services.endpoint import Endpoint

# The key pair the door accepts, and the AWS CLI's environment signing with it.
KEY_ID, SECRET = "LKIATESTTESTTESTTEST", "test-secret"
CLI_ENV = {
    **os.environ,
    "AWS_ACCESS_KEY_ID": KEY_ID,
    "AWS_SECRET_ACCESS_KEY": SECRET,
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_PAGER": "",
}


class Served:
    def __init__(self, services: Sequence[Service]) -> None:
        self.loop = asyncio.new_event_loop()
        # Every request's signature is checked, as on `lamina up`'s endpoint.
        self.endpoint = Endpoint(services, door=Door.build({KEY_ID: SECRET}, "127.0.0.1", 0))
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.transports: list[asyncio.BaseTransport] = []
        self.server = self.run(self._listen())
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"
        self._clients: list[Any] = []

    async def _listen(self) -> asyncio.Server:
        served = self

        class Tracked(HttpProtocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                served.transports.append(transport)
                super().connection_made(transport)

        loop = asyncio.get_running_loop()
        return await loop.create_server(
            lambda: Tracked(self.endpoint, Limits(streamer=self.endpoint.incoming)), "127.0.0.1", 0
        )

    async def _close_server(self) -> None:
        self.server.close()

    async def _close_connections(self) -> None:
        # A client whose error response a test still holds keeps its connection open: close
        # the server's end before the loop stops, or its socket is dropped unclosed.
        for transport in self.transports:
            transport.close()
        await asyncio.sleep(0)

    def run(self, coro: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout=30)

    def client(self, service: str, **config: Any) -> Any:
        """A boto3 client of ``service`` on this endpoint (closed when the endpoint closes)."""
        client = boto3.client(
            service,
            region_name="us-east-1",
            endpoint_url=self.url,
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET,
            config=Config(retries={"max_attempts": 1, "mode": "standard"}, **config),
        )
        self._clients.append(client)
        return client

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["aws", *args, "--endpoint-url", self.url, "--output", "json"],
            capture_output=True,
            text=True,
            timeout=60,
            env=CLI_ENV,
        )

    def close(self) -> None:
        for client in self._clients:
            client.close()
        # On the loop's thread: a connection closing there at the same moment would otherwise
        # race the server's close (asyncio's Server is not thread-safe).
        self.run(self._close_server())
        self.run(self._close_connections())
        self.run(self.server.wait_closed())
        self.run(self.endpoint.close())
        self.run(asyncio.sleep(0.05))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()
