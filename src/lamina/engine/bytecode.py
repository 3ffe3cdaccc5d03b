"""Bytecode for functions' code, compiled by Lamina: environments cannot write it.

A function's code directory is read-only inside its environments (as on Lambda), so Python
cannot cache what it compiles there (``__pycache__``) and every cold start would compile the
function's modules again (2.6 ms for a 350-line module here). After each deploy the engine
compiles them once instead, for the interpreter functions run on, skipping what is up to date,
in a process of its own: compiling holds the GIL, which the event loop must not wait for. Where
a directory is not Lamina's to write, nothing is compiled there, and nothing fails.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

# Never descended into: Lamina's state, version control, virtualenvs, other languages' packages.
_SKIPPED = r"[/\\](\.lamina|\.git|\.venv|venv|node_modules|\.aws-sam)([/\\]|$)"


async def compile_code(python: str, dirs: Sequence[str]) -> None:
    """Compile the Python modules under ``dirs`` with ``python`` (quietly; errors are the
    function's own to meet at import)."""
    if not dirs:
        return
    try:
        process = await asyncio.create_subprocess_exec(
            python,
            "-m",
            "compileall",
            "-qq",
            "-x",
            _SKIPPED,
            *dirs,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
    except OSError:  # no such interpreter: the deploy says so where it matters
        return
    try:
        await process.wait()
    except asyncio.CancelledError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise
