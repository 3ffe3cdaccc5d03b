"""`lamina up` as a user runs it: a subprocess that prints its APIs and routes, answers over
HTTP, reports health, and stops cleanly on Ctrl+C (SIGINT) and SIGTERM."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .support import TEMPLATES

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]


def start(
    tmp_path: Path, source: Path = TEMPLATES / "reload"
) -> tuple[subprocess.Popen[str], str, str, list[str]]:
    app_dir = tmp_path / "app"
    shutil.copytree(source, app_dir, ignore=shutil.ignore_patterns(".lamina"))
    process = subprocess.Popen(
        [sys.executable, "-m", "lamina", "up", str(app_dir), "--port", "0", "--services-port", "0"],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
    )
    assert process.stderr is not None
    lines: list[str] = []
    for _ in range(200):
        line = process.stderr.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("Serving."):
            break
    text = "".join(lines)
    api = re.search(r"APIs:\s+(http://\S+)", text)
    endpoint = re.search(r"AWS endpoint:\s+(http://\S+)", text)
    assert api and endpoint, text
    return process, api.group(1), endpoint.group(1), lines


def stop(process: subprocess.Popen[str], sig: int) -> str:
    process.send_signal(sig)
    _, rest = process.communicate(timeout=60)
    return rest


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_up_serves_and_stops_cleanly(tmp_path: Path, sig: int) -> None:
    """The routes are printed as a table, the API answers, health says ok, and the signal
    stops everything with exit status 0."""
    process, api, endpoint, lines = start(tmp_path)
    try:
        text = "".join(lines)
        assert "ServerlessHttpApi (HTTP)" in text
        assert re.search(r"GET\s+/hello\s+\S*HelloFunction", text), text
        with urllib.request.urlopen(f"{api}/hello", timeout=30) as reply:
            assert reply.read() == b"version 1"
        with urllib.request.urlopen(f"{endpoint}/_lamina/health", timeout=30) as reply:
            health = json.loads(reply.read())
        assert health["status"] == "ok"
        assert health["apis"] == ["ServerlessHttpApi"]
    finally:
        rest = stop(process, sig)
    assert process.returncode == 0, rest
    assert "lamina: stopping" in rest
    assert re.search(r"GET /hello 200 [\d.]+ ms HelloFunction", rest), rest


def test_readme_example_answers(tmp_path: Path) -> None:
    """The README's first command, `lamina up examples/hello`, then its curl: POST /hello with
    a name is greeted (also at /Prod/hello, API Gateway's own address), invalid JSON gets 400."""
    process, api, _, _ = start(tmp_path, ROOT / "examples" / "hello")
    try:
        for path in ("/hello", "/Prod/hello"):
            request = urllib.request.Request(f"{api}{path}", data=b'{"name":"Ada"}', method="POST")
            with urllib.request.urlopen(request, timeout=30) as reply:
                assert json.loads(reply.read()) == {"message": "Hello, Ada!"}
        bad = urllib.request.Request(f"{api}/hello", data=b"{nope", method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(bad, timeout=30)
        refused.value.close()
        assert refused.value.code == 400
    finally:
        stop(process, signal.SIGTERM)
    assert process.returncode == 0
