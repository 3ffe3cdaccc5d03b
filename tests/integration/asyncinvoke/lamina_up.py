"""`lamina up` as a real subprocess for tests: started on free ports, stopped or killed by pid."""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.response import StreamingBody

from lamina import credentials

ROOT = Path(__file__).resolve().parents[3]
_ENDPOINT = re.compile(r"AWS endpoint: (http://\S+)")
_COMMAND = (
    sys.executable,
    "-m",
    "lamina",
    "up",
    "--port",
    "0",
    "--services-port",
    "0",
    "--no-watch",
)


class LaminaUp:
    def __init__(
        self,
        template: Path,
        state_dir: Path,
        env: Mapping[str, str] | None = None,
        *,
        watch: bool = False,
        args: Sequence[str] = (),
    ) -> None:
        self.template = template
        # More options for `lamina up` (``--debug FUNCTION``).
        self.args = list(args)
        # Hot reload on (edits to the template or code are deployed while it runs).
        self.watch = watch
        self.state_dir = state_dir
        self.env = {**os.environ, **(env or {})}
        self.log_path = state_dir.parent / f"{state_dir.name}-lamina.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.endpoint = ""
        self._clients: list[Any] = []

    def start(self, timeout: float = 90.0) -> LaminaUp:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        start_at = log.tell()
        self.process = subprocess.Popen(
            [
                *(c for c in _COMMAND if not (self.watch and c == "--no-watch")),
                str(self.template),
                "--state-dir",
                str(self.state_dir),
                *self.args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=self.env,
            cwd=ROOT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log_path.read_bytes()[start_at:].decode("utf-8", "replace")
            found = _ENDPOINT.search(text)
            if found and "Serving." in text:
                self.endpoint = found.group(1)
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"lamina up exited:\n{text}")
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"lamina up did not start:\n{self.log()}")

    @property
    def key_pair(self) -> credentials.KeyPair:
        """The key pair `lamina up` made in its state directory (and printed)."""
        pair = credentials.read(self.state_dir)
        assert pair is not None, "lamina up has not started"
        return pair

    @property
    def cli_env(self) -> dict[str, str]:
        """The environment the AWS CLI runs in against this server, as ``lamina env`` sets it."""
        return {
            **os.environ,
            "AWS_ACCESS_KEY_ID": self.key_pair.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.key_pair.secret_access_key,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_PAGER": "",
        }

    def log(self) -> str:
        return self.log_path.read_text("utf-8", "replace") if self.log_path.exists() else ""

    def health(self) -> int:
        with urllib.request.urlopen(f"{self.endpoint}/_lamina/health", timeout=5) as response:
            return int(response.status)

    def kill(self) -> None:
        """SIGKILL, as a crash or ``kill -9`` would."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self._close_clients()

    def _close_clients(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()

    def stop(self) -> None:
        self._close_clients()
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.kill()

    def aws(self, service: str, **config: Any) -> Any:
        """A boto3 client of ``service`` on this server (closed when the server stops)."""
        client = boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=self.key_pair.access_key_id,
            aws_secret_access_key=self.key_pair.secret_access_key,
            config=Config(retries={"max_attempts": 1, "mode": "standard"}, **config),
        )
        self._clients.append(client)
        return client

    def client(self, **config: Any) -> Any:
        """A boto3 ``lambda`` client on this server (closed when the server stops)."""
        client = boto3.client(
            "lambda",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=self.key_pair.access_key_id,
            aws_secret_access_key=self.key_pair.secret_access_key,
            config=Config(retries={"max_attempts": 1, "mode": "standard"}, **config),
        )
        client.meta.events.register("after-call.lambda.Invoke", _read_payload)
        self._clients.append(client)
        return client


def _read_payload(parsed: dict[str, Any], **_: Any) -> None:
    """An Invoke's Payload is a stream holding the connection until it is read; a test that
    ignores it would leave the socket to the garbage collector (a ResourceWarning, an error in
    whichever later test collects it). Read it now; the test reads the same bytes."""
    payload = parsed.get("Payload")
    if isinstance(payload, StreamingBody):
        data = payload.read()
        parsed["Payload"] = StreamingBody(io.BytesIO(data), len(data))


@contextlib.contextmanager
def running(
    template: Path, state_dir: Path, env: Mapping[str, str] | None = None
) -> Iterator[LaminaUp]:
    server = LaminaUp(template, state_dir, env).start()
    try:
        yield server
    finally:
        server.stop()


def wait_for(predicate: Any, timeout: float, interval: float = 0.05) -> Any:
    """Poll until ``predicate()`` is truthy; returns its value (a bounded loop, never a sleep
    that assumes how long something takes)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
