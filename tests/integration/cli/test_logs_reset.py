"""`lamina logs` reads a function's log from the state directory after Lamina stopped (here,
what `lamina invoke` wrote), filters with --since, follows new invocations with --follow until
Ctrl+C (no traceback); `lamina reset` wipes the state directory only after confirmation."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Talker:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: app.handler
      CodeUri: src/
"""

HANDLER = """\
def handler(event, context):
    print("said", event["word"])
    return event["word"]
"""


def lamina(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lamina", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def project(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text(HANDLER)
    (root / "template.yaml").write_text(TEMPLATE)
    return root


def test_logs_of_a_stopped_lamina_and_follow(tmp_path: Path) -> None:
    """The invocation's lines (START, the function's print, REPORT) by logical id; --since
    an ISO time after them drops them; --follow prints a later invocation's line,
    and Ctrl+C ends it with status 0 and no traceback."""
    root = project(tmp_path / "app")
    assert (
        lamina("invoke", "Talker", "-t", str(root), "-e", "-", stdin='{"word": "one"}').returncode
        == 0
    )
    done = lamina("logs", "Talker", "-t", str(root))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any("START RequestId:" in line for line in lines)
    assert any(line.endswith("said one") for line in lines)
    assert any("REPORT RequestId:" in line for line in lines)
    later = lamina("logs", "Talker", "-t", str(root), "--since", "2999-01-01T00:00:00")
    assert later.returncode == 0 and later.stdout == ""
    unknown = lamina("logs", "Nobody", "-t", str(root))
    assert unknown.returncode == 2 and "Nobody" in unknown.stderr

    follow = subprocess.Popen(
        [sys.executable, "-m", "lamina", "logs", "Talker", "-t", str(root), "--follow"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with follow:
        try:
            assert follow.stdout is not None
            # What was there first (INIT_START, START, the print, END, REPORT).
            assert any(follow.stdout.readline().endswith("said one\n") for _ in range(5))
            invoked = lamina(
                "invoke", "Talker", "-t", str(root), "-e", "-", stdin='{"word": "two"}'
            )
            assert invoked.returncode == 0
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if follow.stdout.readline().rstrip().endswith("said two"):
                    break
            else:
                raise AssertionError("--follow did not print the new invocation")
            follow.send_signal(signal.SIGINT)
            _, err = follow.communicate(timeout=30)
        finally:
            if follow.poll() is None:
                follow.kill()
    assert follow.returncode == 0
    assert "Traceback" not in err


def test_reset_asks_then_wipes_the_state_directory(tmp_path: Path) -> None:
    """Answering no keeps everything (exit 1); --yes deletes the state directory; a directory
    that is not Lamina's is refused."""
    root = project(tmp_path / "app")
    state = tmp_path / "state"
    # `lamina env` makes the state directory's key pair: a state directory as `up` leaves it.
    assert lamina("env", str(root), "--state-dir", str(state)).returncode == 0
    kept = lamina("reset", str(root), "--state-dir", str(state), stdin="n\n")
    assert kept.returncode == 1 and (state / "credentials.json").is_file()
    gone = lamina("reset", str(root), "--state-dir", str(state), "--yes")
    assert gone.returncode == 0, gone.stderr
    assert not state.exists()
    other = tmp_path / "photos"
    other.mkdir()
    (other / "cat.jpg").write_bytes(b"x")
    refused = lamina("reset", "--state-dir", str(other), "--yes")
    assert refused.returncode == 2 and (other / "cat.jpg").exists()
