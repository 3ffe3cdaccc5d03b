"""One `lamina up` (a real subprocess on free ports) shared by the Lambda API compat tests, and
deployment packages built from ``functions/``."""

from __future__ import annotations

import io
import itertools
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.asyncinvoke.lamina_up import LaminaUp

HERE = Path(__file__).parent
TEMPLATE = HERE / "app" / "template.yaml"
HANDLERS = (HERE / "functions" / "handlers.py").read_text()
ROLE = "arn:aws:iam::123456789012:role/lamina-tests"
_names = itertools.count(1)


def package(code: str = "A") -> bytes:
    """A zip deployment package of ``functions/handlers.py`` whose ``CODE`` is ``code``: the
    same bytes (and CodeSha256) for the same ``code`` whenever it is made (``writestr`` with a
    bare name stamps the current time, so two packages made across a two-second boundary of
    the zip format's clock differed, and tests that share code between functions flaked)."""
    source = HANDLERS.replace('CODE = "A"', f"CODE = {code!r}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        entry = zipfile.ZipInfo("handlers.py", date_time=(2026, 1, 1, 0, 0, 0))
        entry.external_attr = 0o644 << 16
        archive.writestr(entry, source)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LaminaUp]:
    up = LaminaUp(TEMPLATE, tmp_path_factory.mktemp("lambda-compat") / "state").start()
    yield up
    up.stop()


@pytest.fixture(scope="session")
def client(server: LaminaUp) -> Any:
    return server.client()


@pytest.fixture
def make_function(client: Any) -> Callable[..., str]:
    """Creates a function from a zip through CreateFunction; returns its (unique) name."""

    def make(handler: str = "handlers.echo", code: str = "A", **extra: Any) -> str:
        name = f"compat-{next(_names)}-{handler.split('.')[-1]}"
        client.create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=ROLE,
            Handler=handler,
            Code={"ZipFile": package(code)},
            **extra,
        )
        return name

    return make
