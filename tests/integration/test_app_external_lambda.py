"""With the Lambda API sent elsewhere (``--endpoint lambda=URL``) there is no registry here: the
app deploys the template's functions to the engine itself, at start and on every reload."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from lamina.services.lambda_.service import LambdaService
from tests.integration.gateway.support import TEMPLATES, running

pytestmark = pytest.mark.slow


def test_template_functions_run_without_the_lambda_service(tmp_path: Path) -> None:
    """The API's function answers although no Lambda service is built; after its code is
    edited, the reload serves the new code."""
    app_dir = tmp_path / "app"
    shutil.copytree(TEMPLATES / "reload", app_dir)
    code = app_dir / "src" / "app.py"
    external = {"lambda": "http://127.0.0.1:9"}
    with running(app_dir, tmp_path / "state", watch=True, endpoints=external) as lamina:
        assert not any(isinstance(s, LambdaService) for s in lamina.lamina.services)
        assert lamina.get("/hello").body == b"version 1"
        code.write_text(code.read_text().replace("version 1", "version 2"))
        for _ in range(300):  # bounded: the watcher decides when
            if lamina.get("/hello").body == b"version 2":
                break
            time.sleep(0.1)
        assert lamina.get("/hello").body == b"version 2"
