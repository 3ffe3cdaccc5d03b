"""`lamina logs` reads a function's log from the state directory after Lamina stopped (here,
what `lamina invoke` wrote), filters with --since, follows new invocations with --follow until
Ctrl+C (no traceback); `lamina reset` wipes the state directory only after confirmation."""

from __future__ import annotations

import os
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


def _ctrl_c_as_in_a_terminal() -> None:
    """The child starts with SIGINT's default action, as a command typed at a terminal does.
    A child inherits an ignored SIGINT (Python then keeps ignoring it, as POSIX asks of
    background jobs), and the test worker may have had it ignored by an earlier test."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


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
        # SIGABRT then dumps every thread's stack (see below: a hang should say where).
        env={**os.environ, "PYTHONFAULTHANDLER": "1"},
        preexec_fn=_ctrl_c_as_in_a_terminal,
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
            try:
                _, err = follow.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                follow.send_signal(signal.SIGABRT)
                _, stacks = follow.communicate(timeout=10)
                message = f"--follow ignored Ctrl+C for 30 s; its threads:\n{stacks}"
                raise AssertionError(message) from None
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


def test_one_lamina_at_a_time_serves_a_state_directory(tmp_path: Path) -> None:
    """While `lamina up` serves a state directory, `lamina invoke`, a second `lamina up` and
    `lamina reset` on it are refused with one line naming the holder (its pid and endpoint,
    and for invoke the `--endpoint` to use instead), nothing deleted; once `lamina up` is
    killed with SIGKILL the kernel has released its lock and `lamina invoke` runs there."""
    from tests.integration.asyncinvoke.lamina_up import LaminaUp

    root = project(tmp_path / "app")
    state = tmp_path / "state"
    up = LaminaUp(root / "template.yaml", state).start()
    try:
        pid = str(up.process.pid if up.process else "")
        invoked = lamina(
            "invoke",
            "Talker",
            "-t",
            str(root),
            "--state-dir",
            str(state),
            "-e",
            "-",
            stdin='{"word": "one"}',
        )
        assert invoked.returncode != 0
        assert "`lamina up`" in invoked.stderr and f"pid {pid}" in invoked.stderr
        assert f"--endpoint {up.endpoint}" in invoked.stderr
        assert "Traceback" not in invoked.stderr
        reset = lamina("reset", str(root), "--state-dir", str(state), "--yes")
        assert reset.returncode == 2 and "`lamina up`" in reset.stderr
        assert (state / "credentials.json").is_file()
        second = LaminaUp(root / "template.yaml", state)
        try:
            second.start(timeout=60)
            raise AssertionError("a second lamina up served the same state directory")
        except RuntimeError as exc:
            assert "is in use by `lamina up`" in str(exc) and "Traceback" not in str(exc)
        up.kill()
        after = lamina(
            "invoke",
            "Talker",
            "-t",
            str(root),
            "--state-dir",
            str(state),
            "-e",
            "-",
            stdin='{"word": "two"}',
        )
        assert after.returncode == 0, after.stderr
        assert after.stdout.strip() == '"two"'
    finally:
        up.stop()
