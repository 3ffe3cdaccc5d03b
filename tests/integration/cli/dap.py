"""A minimal Debug Adapter Protocol client over a socket, enough to attach to debugpy, set a
breakpoint, see it hit, read a variable and continue (what VS Code does, in four requests)."""

from __future__ import annotations

import json
import socket
import time
from typing import Any


class DapClient:
    def __init__(self, host: str, port: int, deadline_s: float = 60.0) -> None:
        deadline = time.monotonic() + deadline_s
        while True:
            try:
                self.sock = socket.create_connection((host, port), timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)  # the environment has not started listening yet
        self.sock.settimeout(deadline_s)
        self.buffer = b""
        self.seq = 0
        self.backlog: list[dict[str, Any]] = []

    def send(self, command: str, **arguments: Any) -> int:
        self.seq += 1
        body = json.dumps(
            {"seq": self.seq, "type": "request", "command": command, "arguments": arguments}
        ).encode()
        self.sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return self.seq

    def _read(self) -> dict[str, Any]:
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        length = int(
            next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")).split(
                b":"
            )[1]
        )
        while len(rest) < length:
            self.buffer = head + b"\r\n\r\n" + rest
            self._fill()
            head, _, rest = self.buffer.partition(b"\r\n\r\n")
        self.buffer = rest[length:]
        message: dict[str, Any] = json.loads(rest[:length])
        return message

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("debugpy closed the connection")
        self.buffer += chunk

    def wait(self, kind: str, name: str) -> dict[str, Any]:
        """The next message that is response ``name`` (type "response") or event ``name``."""
        key = "command" if kind == "response" else "event"
        for i, message in enumerate(self.backlog):
            if message["type"] == kind and message.get(key) == name:
                return self.backlog.pop(i)
        while True:
            message = self._read()
            if message["type"] == kind and message.get(key) == name:
                return message
            self.backlog.append(message)

    def close(self) -> None:
        self.sock.close()
