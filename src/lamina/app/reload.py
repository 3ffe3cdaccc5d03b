"""Hot reload: watch a deployment's files and tell which functions a change touches.

Watched: the template's directory, every function's code directory and every layer's content
directory (wherever they are). Ignored: the state directory (the build step writes there),
caches and editor droppings. A batch of changes is handed to ``on_change`` once the files have
been quiet for a moment.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

from lamina.model.specs import Stack

log = logging.getLogger("lamina")
_IGNORED_PARTS = frozenset({"__pycache__", ".git", ".mypy_cache", ".pytest_cache", ".ruff_cache"})
_IGNORED_SUFFIXES = (".pyc", ".pyo", ".swp", ".swx", "~", ".tmp")


def watched_roots(stack: Stack) -> list[Path]:
    """The directories whose changes matter, none inside another."""
    roots = {stack.template_path.resolve().parent}
    for function in stack.functions.values():
        if function.code_dir is not None:
            roots.add(function.code_dir.resolve())
        # A layer installed from PyPI is build output, not something the user edits.
        roots.update(
            layer.content_dir.resolve() for layer in function.layers if layer.requirement is None
        )
    kept: list[Path] = []
    for root in sorted(roots, key=lambda p: len(p.parts)):
        if not any(root.is_relative_to(k) for k in kept):
            kept.append(root)
    return kept


def touched_functions(stack: Stack, changed: Iterable[Path]) -> set[str]:
    """Logical ids of the functions whose code or layers contain a changed file."""
    touched: set[str] = set()
    paths = [p.resolve() for p in changed]
    for logical_id, function in stack.functions.items():
        dirs = [layer.content_dir.resolve() for layer in function.layers]
        if function.code_dir is not None:
            dirs.append(function.code_dir.resolve())
        if any(p.is_relative_to(d) for p in paths for d in dirs):
            touched.add(logical_id)
    return touched


class Watcher:
    """Runs ``on_change(paths)`` after each quiet batch of relevant changes; ``stop()`` ends it."""

    def __init__(
        self,
        roots: list[Path],
        state_dir: Path,
        on_change: Callable[[set[Path]], Awaitable[object]],
        debounce_ms: int = 200,
    ) -> None:
        self._roots = roots
        self._state_dir = state_dir.resolve()
        self._on_change = on_change
        self._debounce_ms = debounce_ms
        self._stop = asyncio.Event()

    def relevant(self, path: Path) -> bool:
        if path.is_relative_to(self._state_dir) or _IGNORED_PARTS.intersection(path.parts):
            return False
        return not path.name.endswith(_IGNORED_SUFFIXES)

    async def start(self) -> asyncio.Task[None]:
        """Start watching (``run`` in a task); returns once the watches are in place, so that
        nothing of the watcher's setup is left to slow the first requests down."""
        # Imported here (only `lamina up --watch` needs it), off the event loop: watchfiles
        # brings anyio and multiprocessing, about 40 ms.
        await asyncio.get_running_loop().run_in_executor(
            None, importlib.import_module, "watchfiles"
        )
        task = asyncio.create_task(self.run())
        # The task's first step runs ``awatch`` up to its first wait, having built the notifier
        # (which puts the watches in place) and imported anyio's backend: all synchronous.
        await asyncio.sleep(0)
        return task

    async def run(self) -> None:
        from watchfiles import awatch

        async for changes in awatch(
            *self._roots,
            stop_event=self._stop,
            debounce=self._debounce_ms,
            step=50,
            recursive=True,
            watch_filter=lambda _change, path: self.relevant(Path(path)),
        ):
            paths = {Path(path) for _, path in changes}
            if paths:
                try:
                    await self._on_change(paths)
                except Exception:  # a failed reload must never stop the watching
                    log.exception("reload failed")

    def stop(self) -> None:
        self._stop.set()
