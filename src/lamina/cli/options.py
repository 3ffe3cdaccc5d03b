"""Options shared by several commands, and their parsing."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType
from typing import Any

import typer

_FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")


def complete_function(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion of a FUNCTION argument: the logical ids and literal ``FunctionName``s
    of the template's functions (the command's template, else the one in the current
    directory), or nothing when no template can be read: completion never prints an error."""
    from lamina.template import loader  # only when completing: not on every command's start

    given: Any = ctx.params.get("template") or Path(".")
    try:
        resources = loader.load(Path(given)).data["Resources"]
    except Exception:  # a missing or broken template: nothing to offer
        return []
    names: list[str] = []
    for logical, resource in resources.items():
        if not isinstance(resource, dict) or resource.get("Type") not in _FUNCTION_TYPES:
            continue
        names.append(str(logical))
        name = (resource.get("Properties") or {}).get("FunctionName")
        if isinstance(name, str):
            names.append(name)
    return [n for n in dict.fromkeys(names) if n.startswith(incomplete)]


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
