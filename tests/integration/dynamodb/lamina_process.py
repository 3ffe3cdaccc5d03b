"""``lamina up`` as a real subprocess on free ports, for tests that kill and restart it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LaminaProcess:
    def __init__(self, template: Path, state_dir: Path, *extra: str, watch: bool = False) -> None:
        self.template = template
        self.extra = extra
        self.watch = watch
        self.state_dir = state_dir
        self.port = free_port()
        self.services_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = state_dir.parent / "lamina-up.log"
        self.health: dict[str, Any] = {}

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.services_port}"

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60.0) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "lamina",
                    "up",
                    str(self.template),
                    "--state-dir",
                    str(self.state_dir),
                    "--port",
                    str(self.port),
                    "--services-port",
                    str(self.services_port),
                    *(() if self.watch else ("--no-watch",)),
                    *self.extra,
                ],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                # A key pair of the user's own, as LAMINA_CREDENTIALS configures one.
                env={**os.environ, "LAMINA_CREDENTIALS": "lamina:lamina"},
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"lamina up exited: {self.log.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/_lamina/health", timeout=2) as r:
                    if r.status == 200:
                        self.health = json.loads(r.read())
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"lamina up did not become healthy: {self.log.read_text()}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (Lamina and its function environments)."""
        assert self.process is not None
        os.killpg(self.process.pid, sig)
        self.process.wait(timeout=30)

    def client(self) -> Any:
        return boto3.client(
            "dynamodb",
            region_name="us-east-1",
            endpoint_url=self.endpoint,
            aws_access_key_id="lamina",
            aws_secret_access_key="lamina",
            config=Config(retries={"max_attempts": 1}),
        )
