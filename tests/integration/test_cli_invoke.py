"""`lamina invoke` end to end: a real subprocess, the bundled example, stdout and stderr as
`sam local invoke` users expect them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HELLO = ROOT / "examples" / "hello" / "template.yaml"
EVENT = ROOT / "examples" / "hello" / "events" / "event.json"


def lamina(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lamina", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


@pytest.fixture
def state(tmp_path: Path) -> list[str]:
    return ["--state-dir", str(tmp_path)]


def test_invoke_prints_payload_on_stdout_and_log_on_stderr(state: list[str]) -> None:
    """The Invoke payload alone on stdout; the log ending with REPORT on stderr; exit 0."""
    done = lamina(
        "invoke", "HelloFunction", "--template", str(HELLO), "--event", str(EVENT), *state
    )
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["statusCode"] == 200
    assert json.loads(payload["body"]) == {"message": "Hello, Lamina!"}
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("REPORT RequestId: ")
    assert "Init Duration:" in lines[-1]
    assert any(line.startswith("START RequestId: ") for line in lines)
    assert any("greeting Lamina" in line for line in lines)
    # `lamina invoke` does not serve the API event: the gateway (`lamina up`) does, so no warning.
    assert "HelloFunction.Events.Greet" not in done.stderr


def test_invoke_reads_the_event_from_stdin_and_defaults_to_empty(state: list[str]) -> None:
    """`--event -` reads stdin; no --event sends {}."""
    event = json.dumps({"body": json.dumps({"name": "stdin"})})
    piped = lamina("invoke", "HelloFunction", "-t", str(HELLO), "--event", "-", *state, stdin=event)
    assert json.loads(json.loads(piped.stdout)["body"]) == {"message": "Hello, stdin!"}
    empty = lamina("invoke", "HelloFunction", "-t", str(HELLO), *state)
    assert json.loads(json.loads(empty.stdout)["body"]) == {"message": "Hello, world!"}


def test_invoke_applies_parameter_overrides(state: list[str]) -> None:
    """--parameter-overrides reaches the function through !Ref in its environment."""
    done = lamina(
        "invoke",
        "HelloFunction",
        "-t",
        str(HELLO),
        "-e",
        str(EVENT),
        "--parameter-overrides",
        "Greeting=Bonjour",
        *state,
    )
    assert json.loads(json.loads(done.stdout)["body"]) == {"message": "Bonjour, Lamina!"}


def test_example_answers_400_on_invalid_json(state: list[str]) -> None:
    """The hello example's own contract: a body that is not JSON gets 400."""
    event = json.dumps({"body": "{not json"})
    done = lamina("invoke", "HelloFunction", "-t", str(HELLO), "-e", "-", *state, stdin=event)
    assert json.loads(done.stdout)["statusCode"] == 400


def test_generated_event_pipes_into_invoke(state: list[str]) -> None:
    """`lamina generate-event` output is a valid event for `lamina invoke`."""
    generated = lamina(
        "generate-event",
        "apigateway",
        "aws-proxy",
        "--method",
        "POST",
        "--path",
        "/hello",
        "--body",
        '{"name": "pipe"}',
    )
    assert generated.returncode == 0, generated.stderr
    done = lamina(
        "invoke", "HelloFunction", "-t", str(HELLO), "-e", "-", *state, stdin=generated.stdout
    )
    assert json.loads(json.loads(done.stdout)["body"]) == {"message": "Hello, pipe!"}


def test_unknown_function_is_a_clear_error(state: list[str]) -> None:
    """A function the template does not have: Lambda's error, exit status 2, nothing on stdout."""
    done = lamina("invoke", "NoSuchFunction", "-t", str(HELLO), *state)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "ResourceNotFoundException: Function not found: " in done.stderr
    assert "NoSuchFunction" in done.stderr


def test_function_error_exits_1_with_the_error_document(tmp_path: Path) -> None:
    """A failing function: Lambda's error document on stdout and exit status 1."""
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "app.py").write_text(
        "def handler(event, context):\n    raise ValueError('bad input')\n"
    )
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fails:\n"
        "    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: code/\n"
        "      Handler: app.handler\n      Runtime: python3.11\n"
    )
    done = lamina("invoke", "Fails", "-t", str(tmp_path / "template.yaml"))
    assert done.returncode == 1
    doc = json.loads(done.stdout)
    assert (doc["errorType"], doc["errorMessage"]) == ("ValueError", "bad input")
    assert "[ERROR] ValueError: bad input" in done.stderr


@pytest.mark.parametrize(
    "command",
    [["invoke", "Hello", "--state-dir", "s", "-t"], ["validate"], ["up", "--state-dir", "s"]],
)
def test_every_command_finds_templates_alike(command: list[str], tmp_path: Path) -> None:
    """``up``, ``invoke`` and ``validate`` share one template finder: a directory without a
    template is refused by each with the same message, before anything is started."""
    empty = tmp_path / "empty"
    empty.mkdir()
    done = lamina(*command, str(empty))
    assert done.returncode != 0
    assert f"no template.yaml, template.yml or template.json in {empty}" in (
        done.stdout + done.stderr
    )
