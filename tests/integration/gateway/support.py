"""A real ``Lamina`` (``lamina up`` in-process, ports picked by the OS) on a thread of its own,
and a plain ``http.client`` to talk to it, as any client would."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lamina.app.serve import Lamina, Served
from lamina.settings import Settings

TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.header_values(name)
        return ", ".join(values) if values else None

    def header_values(self, name: str) -> list[str]:
        return [v for n, v in self.headers if n.lower() == name.lower()]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Running:
    lamina: Lamina
    served: Served
    loop: asyncio.AbstractEventLoop
    access_log: list[str] = field(default_factory=list)
    function_log: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        return int(self.served.api_url.rsplit(":", 1)[1])

    def request(
        self,
        method: str,
        path: str,
        body: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        host: str | None = None,
        timeout: float = 60,
    ) -> Reply:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            sent = dict(headers or {})
            if host is not None:
                sent["Host"] = f"{host}:{self.port}"
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            return Reply(response.status, response.getheaders(), response.read())
        finally:
            connection.close()

    def get(self, path: str, **kw: Any) -> Reply:
        return self.request("GET", path, **kw)

    def run(self, coro: Any, timeout: float = 120) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


@contextlib.contextmanager
def running(
    template: Path,
    state_dir: Path,
    overrides: Mapping[str, str] | None = None,
    watch: bool = False,
    **settings: Any,
) -> Iterator[Running]:
    """``template`` deployed and served until the block ends (environments stopped after)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    notes: list[str] = []
    access: list[str] = []
    functions: list[str] = []
    lamina = Lamina(
        template,
        Settings(state_dir=state_dir, port=0, services_port=0, **settings),
        overrides,
        note=notes.append,
        watch=watch,
        access_log=access.append,
        function_log=functions.append,
    )

    async def start() -> Served:
        return await lamina.start()

    try:
        served = asyncio.run_coroutine_threadsafe(start(), loop).result(120)
        yield Running(lamina, served, loop, access, functions, notes)
    finally:
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(lamina.close(), loop).result(60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
