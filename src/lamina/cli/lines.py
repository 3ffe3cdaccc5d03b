"""Console lines written in batches (access logs, function logs) by ``lamina up``."""

from __future__ import annotations

import asyncio
import contextlib
from typing import ClassVar, TextIO


class Lines:
    """Log lines written in one go every few milliseconds: a write per request (or per turn of
    the event loop) would cost a system call each on the gateway's hot path."""

    # Late enough to gather many lines under load, too soon for a person to notice.
    DELAY_S: ClassVar[float] = 0.01

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._pending: list[str] = []

    def __call__(self, text: str) -> None:
        if not self._pending:
            asyncio.get_running_loop().call_later(self.DELAY_S, self.flush)
        self._pending.append(text if text.endswith("\n") else text + "\n")

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        if not pending:
            return
        with contextlib.suppress(OSError, ValueError):
            self._stream.write("".join(pending))
            self._stream.flush()
