"""Template functions accept UpdateFunctionConfiguration and UpdateFunctionCode as AWS does.

The change is durable (it survives `kill -9` and a restart) and stays until the template next
changes that function: then the template's $LATEST is back. A deployment that leaves the
function as it was (a restart, an edit elsewhere in the template) keeps the API's change.
"""

from __future__ import annotations

import io
import json
import shutil
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.integration.asyncinvoke.lamina_up import LaminaUp, wait_for

pytestmark = pytest.mark.slow

APP = Path(__file__).parent / "template_app"


def zipped(code: str) -> bytes:
    """The template's ``src/app.py`` as a zip deployment package whose ``CODE`` is ``code``."""
    source = (APP / "src" / "app.py").read_text().replace('CODE = "template"', f"CODE = {code!r}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


def run(client: Any) -> dict[str, Any]:
    response = client.invoke(FunctionName="Greeter")
    assert "FunctionError" not in response, response
    result: dict[str, Any] = json.loads(response["Payload"].read())
    return result


def copy_app(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    shutil.copytree(APP, app)
    return app / "template.yaml"


def reloads(server: LaminaUp) -> int:
    with urllib.request.urlopen(f"{server.endpoint}/_lamina/health", timeout=5) as response:
        return int(json.loads(response.read())["reloads"])


def test_updates_survive_a_restart_until_the_template_changes(tmp_path: Path) -> None:
    """UpdateFunctionConfiguration (environment, timeout, memory) and UpdateFunctionCode (a
    zip) on a template function are what the next invocation runs; after `kill -9` and a
    restart on the same template they still are; a restart with the function changed in the
    template runs the template's code and configuration again."""
    template = copy_app(tmp_path)
    state = tmp_path / "state"
    first = LaminaUp(template, state).start()
    try:
        client = first.client()
        before = run(client)
        assert (before["code"], before["greeting"], before["memory"]) == (
            "template",
            "template",
            128,
        )
        assert before["remaining_ms"] <= 3000

        updated = client.update_function_configuration(
            FunctionName="Greeter",
            Environment={"Variables": {"GREETING": "api"}},
            Timeout=30,
            MemorySize=256,
        )
        assert (updated["Timeout"], updated["MemorySize"]) == (30, 256)
        after = run(client)
        assert (after["code"], after["greeting"], after["memory"]) == ("template", "api", 256)
        assert after["remaining_ms"] > 3000

        code = client.update_function_code(FunctionName="Greeter", ZipFile=zipped("zip"))
        assert code["CodeSha256"] != updated["CodeSha256"]
        assert (run(client)["code"], run(client)["greeting"]) == ("zip", "api")
    finally:
        first.kill()

    second = LaminaUp(template, state).start()
    try:
        client = second.client()
        kept = run(client)
        assert (kept["code"], kept["greeting"], kept["memory"]) == ("zip", "api", 256)
        config = client.get_function_configuration(FunctionName="Greeter")
        assert (config["Timeout"], config["MemorySize"]) == (30, 256)
    finally:
        second.stop()

    template.write_text(template.read_text().replace("GREETING: template", "GREETING: edited"))
    third = LaminaUp(template, state).start()
    try:
        client = third.client()
        reset = run(client)
        assert (reset["code"], reset["greeting"], reset["memory"]) == ("template", "edited", 128)
        assert reset["remaining_ms"] <= 3000
        config = client.get_function_configuration(FunctionName="Greeter")
        assert (config["Timeout"], config["MemorySize"]) == (3, 128)
    finally:
        third.stop()


def test_hot_reload_resets_only_when_the_function_changes(tmp_path: Path) -> None:
    """While `lamina up` watches: an edit to the template that leaves the function as it was
    keeps the API's configuration; an edit to the function's code puts the template back."""
    template = copy_app(tmp_path)
    server = LaminaUp(template, tmp_path / "state", watch=True).start()
    try:
        client = server.client()
        client.update_function_configuration(
            FunctionName="Greeter", Environment={"Variables": {"GREETING": "api"}}
        )
        assert run(client)["greeting"] == "api"

        seen = reloads(server)
        text = template.read_text()
        template.write_text(text.replace("Description: A template", "Description: The template"))
        assert wait_for(lambda: reloads(server) > seen, 30), server.log()
        assert run(client)["greeting"] == "api"

        seen = reloads(server)
        code = template.parent / "src" / "app.py"
        code.write_text(code.read_text().replace('CODE = "template"', 'CODE = "edited"'))
        assert wait_for(lambda: reloads(server) > seen, 30), server.log()
        reset = run(client)
        assert (reset["code"], reset["greeting"]) == ("edited", "template")
    finally:
        server.stop()
