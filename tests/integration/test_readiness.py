"""``lamina up`` says it is ready only once nothing of its start is left to do.

Health answers ok from the moment ``Lamina.start`` returns; whatever the start left for later
(the file watcher's setup, printing the routes) would be paid by the first requests, and a file
changed in between would go unnoticed.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from lamina.app.serve import Lamina, Served
from lamina.settings import Settings

TEMPLATE = Path(__file__).parent / "gateway" / "templates" / "reload"

pytestmark = pytest.mark.slow


async def _get(port: int, path: str) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_a_change_right_after_ready_is_reloaded_and_announce_comes_first(tmp_path: Path) -> None:
    """A code change made the moment start() returns (health already ok) is picked up by the
    watcher, whose watches are in place before ready; the CLI's announcement of what is served
    runs before start() returns, and health answers ok after it."""
    app_dir = tmp_path / "app"
    shutil.copytree(TEMPLATE, app_dir)
    code = app_dir / "src" / "app.py"
    announced: list[Served] = []

    async def scenario() -> tuple[int, int, bytes]:
        lamina = Lamina(
            app_dir,
            Settings(state_dir=tmp_path / "state", port=0, services_port=0),
            watch=True,
        )
        try:
            served = await lamina.start(announce=announced.append)
            # No await between start() returning and the edit: the watcher had no later turn.
            code.write_text(code.read_text().replace("version 1", "version 2"))
            services_port = int(served.services_url.rsplit(":", 1)[1])
            status, _ = await _get(services_port, "/_lamina/health")
            api_port = int(served.api_url.rsplit(":", 1)[1])
            for _ in range(300):  # bounded polling: the watcher decides when
                if lamina.reloads:
                    break
                await asyncio.sleep(0.1)
            _, body = await _get(api_port, "/hello")
            return status, lamina.reloads, body
        finally:
            await lamina.close()

    status, reloads, body = asyncio.run(scenario())
    assert [s.functions for s in announced] == [["HelloFunction"]]
    assert status == 200
    assert reloads == 1
    assert body == b"version 2"
