"""A burst under a tight open-files limit: with `ulimit -n 1024` (soft and hard), 200 concurrent
requests to a function that sleeps 200 ms all succeed, no "Too many open files" is logged, and no
more environments live than the limit the descriptors allow."""

from __future__ import annotations

import asyncio
import collections
import json
import resource
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.integration.dynamodb.lamina_process import free_port

pytestmark = pytest.mark.slow

HANDLER = """import time


def handler(event, context):
    time.sleep(0.2)
    return {"statusCode": 200, "body": "ok"}
"""
TEMPLATE = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Sleepy:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.11
      Events:
        Api: {Type: HttpApi, Properties: {Path: /sleep, Method: get}}
"""


def _tight_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))


async def _one(port: int) -> str:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /sleep HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = await asyncio.wait_for(reader.read(), 120)
        writer.close()
        return data.split(b"\r\n", 1)[0].decode()
    except OSError as exc:
        return type(exc).__name__


async def _burst(port: int, count: int) -> collections.Counter[str]:
    return collections.Counter(await asyncio.gather(*(_one(port) for _ in range(count))))


def test_200_concurrent_requests_under_ulimit_1024_all_succeed(tmp_path: Path) -> None:
    (tmp_path / "app" / "src").mkdir(parents=True)
    (tmp_path / "app" / "src" / "app.py").write_text(HANDLER)
    (tmp_path / "app" / "template.yaml").write_text(TEMPLATE)
    port, services = free_port(), free_port()
    log = tmp_path / "up.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "lamina", "up", str(tmp_path / "app"), "--port", str(port),
             "--services-port", str(services), "--state-dir", str(tmp_path / "state"),
             "--no-watch", "--no-function-logs"],
            stdout=out, stderr=subprocess.STDOUT, preexec_fn=_tight_limit,
        )  # fmt: skip
    try:
        health = _healthy(services, process, log)
        limit = health["environments"]["limit"]
        assert limit < 200, "the descriptors allow fewer environments than requests"
        assert asyncio.run(_burst(port, 200)) == {"HTTP/1.1 200 OK": 200}
        health = _healthy(services, process, log)
        assert health["environments"]["live"] <= limit
        assert "Too many open files" not in log.read_text()
    finally:
        process.terminate()
        process.wait(30)


def _healthy(port: int, process: subprocess.Popen[bytes], log: Path) -> dict[str, object]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(log.read_text())
        try:
            url = f"http://127.0.0.1:{port}/_lamina/health"
            with urllib.request.urlopen(url, timeout=5) as answer:
                return dict(json.loads(answer.read()))
        except OSError:
            time.sleep(0.2)
    raise AssertionError(log.read_text())
