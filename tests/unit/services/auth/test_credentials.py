"""The state directory's key pair: made once, kept across starts, readable by its owner only."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from lamina import credentials


def test_a_pair_is_made_once_and_kept(tmp_path: Path) -> None:
    assert credentials.read(tmp_path) is None
    first = credentials.load_or_create(tmp_path)
    assert first.access_key_id.startswith("LKIA") and len(first.access_key_id) == 20
    assert len(first.secret_access_key) >= 40
    assert credentials.load_or_create(tmp_path) == first
    assert credentials.read(tmp_path) == first
    mode = stat.S_IMODE((tmp_path / credentials.FILE_NAME).stat().st_mode)
    assert mode == 0o600
    assert credentials.load_or_create(tmp_path / "other") != first


def test_configured_pairs_parse_and_a_malformed_one_is_named() -> None:
    pairs = credentials.parse_pairs("AK1:s1, AK2:s2:with-colon")
    assert pairs == (
        credentials.KeyPair("AK1", "s1"),
        credentials.KeyPair("AK2", "s2:with-colon"),
    )
    with pytest.raises(ValueError, match="'AK3'"):
        credentials.parse_pairs("AK1:s1,AK3")
