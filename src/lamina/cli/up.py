"""``lamina up``: deploy a template locally and serve it until Ctrl+C."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from lamina import app
from lamina.app.serve import Lamina
from lamina.cli.options import parse_overrides
from lamina.errors import LaminaError
from lamina.settings import Settings

console = Console(stderr=True, highlight=False)


def command(
    template: Annotated[
        Path, typer.Argument(help="SAM template, or a directory holding template.yaml.")
    ] = Path("."),
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port of the template's APIs.")] = 3000,
    services_port: Annotated[
        int, typer.Option("--services-port", help="Port of the AWS endpoint.")
    ] = 4566,
    state_dir: Annotated[
        Path | None, typer.Option("--state-dir", help="Default: .lamina/ beside the template.")
    ] = None,
    parameter_overrides: Annotated[
        list[str] | None,
        typer.Option("--parameter-overrides", help="Template parameters as Key=Value."),
    ] = None,
    watch: Annotated[
        bool, typer.Option("--watch/--no-watch", help="Reload on code or template changes.")
    ] = True,
) -> None:
    """Deploy a template on this machine and serve its APIs and AWS services until Ctrl+C."""
    logging.basicConfig(level=logging.INFO, format="lamina: %(message)s", stream=sys.stderr)
    template_path = app.find_template(template)
    settings = Settings.from_env(
        state_dir or app.default_state_dir(template_path),
        host=host,
        port=port,
        services_port=services_port,
        services_endpoint=f"http://{host}:{services_port}",
    )
    overrides = parse_overrides(parameter_overrides or [])
    try:
        app.run(_serve(template_path, settings, overrides, watch))
    except LaminaError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc


async def _serve(
    template: Path, settings: Settings, overrides: dict[str, str], watch: bool
) -> None:
    lamina = Lamina(template, settings, overrides, note=lambda m: console.print(f"lamina: {m}"))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        served = await lamina.start()
        for warning in served.warnings:
            console.print(f"[yellow]{warning}[/yellow]")
        console.print(f"APIs:         {served.api_url}")
        console.print(f"AWS endpoint: {served.services_url}  (health: /_lamina/health)")
        console.print(f"Functions:    {', '.join(served.functions) or '(none)'}")
        console.print("Serving. Press Ctrl+C to stop.")
        await stop.wait()
        console.print("lamina: stopping")
    finally:
        with contextlib.suppress(Exception):
            await lamina.close()
