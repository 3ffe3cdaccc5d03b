"""Request ids are version-4 UUIDs, distinct, and not repeated by a forked child."""

from __future__ import annotations

import os
import uuid

from lamina import ids


def test_request_ids_are_distinct_version_4_uuids() -> None:
    made = [ids.request_id() for _ in range(10_000)]
    assert len(set(made)) == len(made)
    for text in made[:100]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


def test_a_forked_child_does_not_repeat_its_parents_ids() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, ids.request_id().encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert child != ids.request_id()
