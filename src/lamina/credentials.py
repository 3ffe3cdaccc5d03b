"""The key pairs Lamina's AWS endpoint accepts.

``lamina up`` makes one pair the first time it starts with a state directory and keeps it there
(``credentials.json``, readable by its owner only), prints it, and hands it to the functions it
runs; ``lamina env`` prints it as ``export`` lines. A user may add pairs of their own
(``LAMINA_CREDENTIALS="KEYID:SECRET,KEYID2:SECRET2"``). Key ids look like AWS's (20 characters of
upper-case letters and digits) but start with ``LKIA`` so that they are never mistaken for a real
AWS key.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from lamina import fastjson

FILE_NAME = "credentials.json"
_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


@dataclass(frozen=True, slots=True)
class KeyPair:
    access_key_id: str
    secret_access_key: str


def new_pair() -> KeyPair:
    key_id = "LKIA" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))
    return KeyPair(key_id, secrets.token_urlsafe(30))


def load_or_create(state_dir: Path) -> KeyPair:
    """The state directory's key pair, made (mode 0600, written whole) if it has none yet."""
    path = state_dir / FILE_NAME
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    state_dir.mkdir(parents=True, exist_ok=True)
    pair = new_pair()
    tmp = path.with_name(f".{FILE_NAME}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(
            fastjson.pretty(
                {
                    "aws_access_key_id": pair.access_key_id,
                    "aws_secret_access_key": pair.secret_access_key,
                }
            )
        )
        out.flush()
        os.fsync(out.fileno())
    try:
        # Two processes starting at once on one state directory keep the first pair written.
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return _read(path)


def read(state_dir: Path) -> KeyPair | None:
    """The state directory's key pair, or None when ``lamina up`` has not made one there yet."""
    try:
        return _read(state_dir / FILE_NAME)
    except FileNotFoundError:
        return None


def _read(path: Path) -> KeyPair:
    data = fastjson.loads(path.read_text())
    return KeyPair(data["aws_access_key_id"], data["aws_secret_access_key"])


def parse_pairs(text: str) -> tuple[KeyPair, ...]:
    """``KEYID:SECRET`` pairs separated by commas; raises ValueError naming a malformed one."""
    pairs = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        key_id, sep, secret = item.partition(":")
        if not sep or not key_id or not secret:
            raise ValueError(f"expected KEYID:SECRET, got {item.split(':')[0]!r}:...")
        pairs.append(KeyPair(key_id, secret))
    return tuple(pairs)
