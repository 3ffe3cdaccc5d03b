"""The ``lamina`` command guides a new user: mistakes get one line naming the fix (no traceback),
bad options are refused by the parser, ``--version`` answers, help is whole at 80 columns. Each
test runs the real CLI in a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import lamina

ROOT = Path(__file__).resolve().parents[3]
HELLO = ROOT / "examples" / "hello"


def lamina_cli(*args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(columns), "TERM": "dumb"}
    return subprocess.run(
        [sys.executable, "-m", "lamina", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
    )


def test_a_port_in_use_is_one_line_naming_the_flag(tmp_path: Path) -> None:
    """`lamina up` on a taken APIs port exits non-zero with one line naming the port and
    --port, without a traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = lamina_cli(
            "up", str(HELLO), "--port", str(port), "--services-port", "0",
            "--state-dir", str(tmp_path), "--no-watch",
        )  # fmt: skip
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if "error" in line]
    assert len(errors) == 1, done.stderr
    assert f"port {port}" in errors[0] and "--port" in errors[0]
    assert "--services-port" not in errors[0]


def test_a_services_port_in_use_names_services_port(tmp_path: Path) -> None:
    """A taken AWS endpoint port names --services-port, the flag that moves it."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = lamina_cli(
            "up", str(HELLO), "--port", "0", "--services-port", str(port),
            "--state-dir", str(tmp_path), "--no-watch",
        )  # fmt: skip
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"port {port}" in done.stderr and "--services-port" in done.stderr


def test_invalid_ports_are_refused_by_the_option_parser() -> None:
    """Ports above 65535, negative or not numbers are refused before anything starts."""
    for value in ("70000", "-1", "http"):
        done = lamina_cli("up", str(HELLO), "--port", value)
        assert done.returncode == 2, value
        assert "Invalid value for '--port'" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
    done = lamina_cli("env", str(HELLO), "--services-port", "0")
    assert done.returncode == 2
    assert "Invalid value for '--services-port'" in done.stderr


def test_version() -> None:
    """`lamina --version` prints the package's version and exits 0."""
    done = lamina_cli("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"lamina {lamina.__version__}"


def test_help_is_not_truncated_at_80_columns() -> None:
    """At 80 columns every option name and every command's summary is shown whole (rich's
    panels used to cut them with an ellipsis), and no line is wider than the terminal."""
    shown = {}
    for args in (("--help",), ("up", "--help"), ("invoke", "--help")):
        done = lamina_cli(*args)
        assert done.returncode == 0, done.stderr
        assert "…" not in done.stdout
        cut = [ln for ln in done.stdout.splitlines() if ln.endswith("...") and "Usage" not in ln]
        assert not cut, done.stdout
        assert all(len(line) <= 80 for line in done.stdout.splitlines()), done.stdout
        shown[args[0]] = done.stdout
    assert "serve its APIs and AWS" in shown["--help"]
    assert "--install-completion" in shown["--help"] and "logs" in shown["--help"]
    assert "--parameter-overrides" in shown["up"] and "--debug-port" in shown["invoke"]


def test_shell_completion_offers_commands_and_the_templates_functions() -> None:
    """Bash completion (what ``--install-completion`` sets up) completes command names, and a
    FUNCTION argument (``invoke``, ``logs``, ``up --debug``) with the logical ids of the
    template in the current directory; with no template there it offers nothing, silently."""

    def complete(words: str, cwd: Path) -> list[str]:
        env = {
            **os.environ,
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
            "_LAMINA_COMPLETE": "complete_bash",
        }
        done = subprocess.run(
            [sys.executable, "-m", "lamina"],
            capture_output=True, text=True, timeout=60, cwd=cwd, env=env,
        )  # fmt: skip
        assert done.returncode == 0 and done.stderr == "", done.stderr
        return done.stdout.split()

    assert complete("lamina lo", HELLO) == ["logs"]
    assert complete("lamina invoke He", HELLO) == ["HelloFunction"]
    assert complete("lamina logs ", HELLO) == ["HelloFunction"]
    assert complete("lamina up --debug ", HELLO) == ["HelloFunction"]
    assert complete("lamina invoke ", HELLO.parent) == []
