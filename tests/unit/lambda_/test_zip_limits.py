"""Uploaded zips are extracted within Lambda's quota: a zip bomb is refused with Lambda's
wording while extracting, and nothing of it is left on disk; names that would leave the code
directory are not written."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from lamina.services.lambda_.code import MAX_UNZIPPED_BYTES, CodeStore
from lamina.services.lambda_.errors import InvalidParameterValueException


def _bomb() -> bytes:
    """A zip of a few hundred KB that declares nothing unusual and unzips past the quota."""
    buffer = io.BytesIO()
    block = b"\0" * (16 << 20)
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("handler.py", "w", force_zip64=True) as member,
    ):
        for _ in range(MAX_UNZIPPED_BYTES // len(block) + 2):
            member.write(block)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_while_extracting_and_leaves_nothing(tmp_path: Path) -> None:
    data = _bomb()
    assert len(data) < 2 << 20
    store = CodeStore(tmp_path)
    with pytest.raises(InvalidParameterValueException) as refused:
        store.from_zip(data)
    assert refused.value.message == "Unzipped size must be smaller than 262144000 bytes"
    leftovers = [p for p in (tmp_path / "code").rglob("*")]
    assert leftovers == []


def test_names_outside_the_code_directory_are_not_written(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../escape.py", "x = 1")
        archive.writestr("/abs.py", "x = 1")
        archive.writestr("pkg/app.py", "x = 2")
    code = CodeStore(tmp_path / "state").from_zip(buffer.getvalue())
    assert (code.directory / "pkg" / "app.py").read_text() == "x = 2"
    assert (code.directory / "abs.py").read_text() == "x = 1"
    assert not (tmp_path / "state" / "code" / "escape.py").exists()
    assert not any(p.name == "escape.py" for p in tmp_path.rglob("*"))
