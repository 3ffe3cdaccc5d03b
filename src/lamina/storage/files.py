"""Directories built aside and published whole: a crash never leaves half of one in place."""

from __future__ import annotations

import shutil
from pathlib import Path


def move_into_place(tmp: Path, target: Path) -> None:
    """Rename the finished ``tmp`` directory to ``target`` (atomic on one filesystem).

    Content-addressed callers may race to build the same ``target``: if another process got
    there first, its result is as good as ours, and ``tmp`` is removed.
    """
    try:
        tmp.rename(target)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not target.is_dir():
            raise
