"""An HTTP endpoint of the test's own on 127.0.0.1: it records every POST (headers and body)
and answers with the status the test chose."""

from __future__ import annotations

import http.server
import threading
import time
from typing import Any


class Endpoint:
    def __init__(self) -> None:
        self.posts: list[tuple[dict[str, str], str]] = []
        self.status = 200
        # Cleared: every POST waits (up to 30 s) until the test sets it again.
        self.open = threading.Event()
        self.open.set()
        received = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode()
                received.posts.append(({k.lower(): v for k, v in self.headers.items()}, body))
                received.open.wait(30)
                self.send_response(received.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait(self, count: int, timeout: float = 15.0) -> list[tuple[dict[str, str], str]]:
        deadline = time.monotonic() + timeout
        while len(self.posts) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return list(self.posts)

    def close(self) -> None:
        self.open.set()
        self.server.shutdown()
        self.server.server_close()
