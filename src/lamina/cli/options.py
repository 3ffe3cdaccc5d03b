"""Options shared by several commands, and their parsing."""

from __future__ import annotations

import signal
from types import FrameType

import typer


def parse_overrides(items: list[str]) -> dict[str, str]:
    """``Key=Value`` items (also SAM CLI's ``ParameterKey=K,ParameterValue=V``)."""
    values: dict[str, str] = {}
    for item in items:
        for token in item.split() if " " in item and "ParameterKey" in item else [item]:
            if token.startswith("ParameterKey="):
                parts = dict(p.split("=", 1) for p in token.split(",") if "=" in p)
                key, value = parts.get("ParameterKey"), parts.get("ParameterValue")
                if key is None or value is None:
                    raise typer.BadParameter(f"cannot read parameter override {token!r}")
                values[key] = value
            elif "=" in token:
                key, value = token.split("=", 1)
                values[key.strip()] = value
            else:
                raise typer.BadParameter(
                    f"parameter override {token!r} is not of the form Key=Value"
                )
    return values


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def interrupt_on_ctrl_c() -> None:
    """Ctrl+C raises ``KeyboardInterrupt`` wherever the main thread is, even inside the event
    loop. asyncio's runner would instead cancel its task, which a blocking step (pip installing
    requirements) only notices when it ends: a one-shot command must stop at once. A handler
    other than Python's default keeps the runner from installing its own."""
    signal.signal(signal.SIGINT, _interrupt)
