"""``lamina up``: deploy a template locally and serve it until Ctrl+C (or SIGTERM)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lamina import app, compiled_modules
from lamina.app.serve import Lamina, Served
from lamina.cli import debugging
from lamina.cli.lines import Lines
from lamina.cli.options import complete_function, parse_overrides
from lamina.cli.progress import Notes
from lamina.errors import LaminaError
from lamina.net.ports import PortInUseError
from lamina.observe.loopwatch import LoopWatch
from lamina.settings import Settings
from lamina.template import find_template
from lamina.template.build import abandon_installs

console = Console(stderr=True, highlight=False)


def command(
    template: Annotated[
        Path, typer.Argument(help="SAM template, or a directory holding template.yaml.")
    ] = Path("."),
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option("--port", min=0, max=65535, help="Port of the template's APIs (0: any free)."),
    ] = 3000,
    services_port: Annotated[
        int,
        typer.Option(
            "--services-port", min=0, max=65535, help="Port of the AWS endpoint (0: any free)."
        ),
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
    function_logs: Annotated[
        bool,
        typer.Option(
            "--function-logs/--no-function-logs", help="Print each invocation's log (START ...)."
        ),
    ] = True,
    endpoint: Annotated[
        list[str] | None,
        typer.Option(
            "--endpoint",
            help="SERVICE=URL: send a service (e.g. dynamodb) to a real backend instead of "
            "Lamina's own; repeatable.",
        ),
    ] = None,
    debug: Annotated[
        str | None,
        typer.Option(
            "--debug",
            metavar="FUNCTION",
            autocompletion=complete_function,
            help="Run FUNCTION (logical id or name) under debugpy: each of its environments "
            "waits for a debugger (VS Code, PyCharm) on 127.0.0.1:--debug-port before running.",
        ),
    ] = None,
    debug_port: Annotated[
        int,
        typer.Option("--debug-port", min=1, max=65535, help="Port debugpy listens on."),
    ] = debugging.DEFAULT_PORT,
) -> None:
    """Deploy a template on this machine and serve its APIs and AWS services until Ctrl+C."""
    logging.basicConfig(level=logging.INFO, format="lamina: %(message)s", stream=sys.stderr)
    try:
        template_path = find_template(template)
    except LaminaError as exc:
        # Unwrapped: a path cut in two could not be copied.
        console.print(f"[red]error:[/red] {exc}", markup=True, soft_wrap=True)
        raise typer.Exit(2) from exc
    debugger = debugging.debugpy_for(debug, debug_port) if debug else None
    if debugger is not None:
        console.print(f"lamina: {debugging.announce(debugger)}", markup=False, soft_wrap=True)
    settings = Settings.from_env(
        state_dir or app.default_state_dir(template_path),
        host=host,
        port=port,
        services_port=services_port,
        services_endpoint=f"http://{host}:{services_port}",
        endpoints=parse_endpoints(endpoint or []),
        project_dir=template_path.parent,
        debugger=debugger,
    )
    overrides = parse_overrides(parameter_overrides or [])
    loop_watch = None
    if settings.loop_watch_ms > 0:
        loop_watch = LoopWatch(settings.loop_watch_ms, logging.getLogger("lamina").warning)
    try:
        # The watch times asyncio's callbacks; uvloop's are out of its reach.
        app.run(
            _serve(template_path, settings, overrides, watch, function_logs, loop_watch),
            uvloop=loop_watch is None,
        )
    except PortInUseError as exc:
        flag = "--services-port" if exc.port == services_port else "--port"
        console.print(
            f"lamina: error: port {exc.port} on {exc.host} is in use by another program: "
            f"stop it, or choose another port with {flag} (0 picks a free one)",
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        # Ctrl+C before the signal handlers were in place (reading the template).
        abandon_installs()
        console.print("lamina: interrupted", markup=False)
        raise typer.Exit(130) from None
    except LaminaError as exc:
        console.print(f"[red]error:[/red] {exc}", markup=True)
        raise typer.Exit(2) from exc


def parse_endpoints(items: list[str]) -> dict[str, str]:
    """``--endpoint SERVICE=URL`` items: the service id (as in ``AWS_ENDPOINT_URL_<SERVICE>``,
    e.g. ``dynamodb``) and the URL its clients are sent to instead of Lamina's own service."""
    endpoints: dict[str, str] = {}
    for item in items:
        service, _, url = item.partition("=")
        service = service.strip().lower()
        if not service or not url.startswith(("http://", "https://")):
            raise typer.BadParameter(
                f"--endpoint {item!r} is not of the form SERVICE=http(s)://..."
            )
        endpoints[service] = url
    return endpoints


def print_served(served: Served) -> None:
    for warning in served.warnings:
        console.print(warning, style="yellow", markup=False)
    table = Table(title=None, show_edge=False, pad_edge=False, box=None)
    for column in ("API", "method", "path", "integration"):
        table.add_column(column)
    for api in served.apis:
        console.print(f"{api.logical_id} ({api.kind}): {'  '.join(api.urls)}", markup=False)
        for method, path, target in api.routes:
            table.add_row(api.logical_id, method, path, target)
    if served.apis:
        console.print(table)
    console.print(f"APIs:         {served.api_url}", markup=False)
    console.print(f"AWS endpoint: {served.services_url}  (health: /_lamina/health)", markup=False)
    if served.console_url:
        # Never wrapped: the URL (and its token) is opened from here.
        console.print(f"Console:      {served.console_url}", markup=False, soft_wrap=True)
    if served.access_key_id:
        # Never wrapped: the key pair is copied from here.
        console.print(
            f"Credentials:  AWS_ACCESS_KEY_ID={served.access_key_id}", markup=False, soft_wrap=True
        )
        console.print(
            f"              AWS_SECRET_ACCESS_KEY={served.secret_access_key}",
            markup=False,
            soft_wrap=True,
        )
        console.print(
            '              (eval "$(lamina env)" sets them, with the endpoint and region)'
        )
    console.print(f"Functions:    {', '.join(served.functions) or '(none)'}", markup=False)
    for logical_id, url in served.queues:
        console.print(f"Queue:        {logical_id}  {url}", markup=False, soft_wrap=True)
    if served.mappings:
        console.print(f"Mappings:     {', '.join(served.mappings)}", markup=False)
    if served.schedules:
        console.print(f"Schedules:    {', '.join(served.schedules)}", markup=False)
    for pipe in served.pipes:
        console.print(f"Pipe:         {pipe}", markup=False, soft_wrap=True)
    for index, topic in enumerate(served.topics):
        label = "Topics:" if index == 0 else ""
        console.print(f"{label:<14}{topic}", markup=False, soft_wrap=True)
    for name, value in served.api_keys:
        # Never wrapped: the key is copied from here.
        console.print(f"API key:      {name} = {value}", markup=False, soft_wrap=True)
    if served.outputs:
        console.print(f"Outputs of stack {served.stack_name}:", markup=False)
        for key, value in served.outputs:
            console.print(f"  {key} = {value}", markup=False, soft_wrap=True)
    if served.buckets:
        console.print(f"Buckets:      {', '.join(served.buckets)}", markup=False)
    for stream in served.streams:
        console.print(f"Stream:       {stream}", markup=False, soft_wrap=True)
    for logical_id, arn in served.state_machines:
        console.print(f"State machine {logical_id}: {arn}", markup=False)
    if served.resources:
        _print_resources(served)
    compiled = compiled_modules()
    if compiled:
        console.print(f"Build:        compiled with mypyc ({len(compiled)} modules)", markup=False)
    console.print("Serving. Press Ctrl+C to stop.")


def _print_resources(served: Served) -> None:
    """Every resource of the template by kind: its logical id and the physical name it has
    here (what ``!Ref`` gives, what the AWS CLI is given). Never wrapped: names are copied."""
    by_kind: dict[str, list[tuple[str, str]]] = {}
    for kind, logical_id, physical in served.resources:
        by_kind.setdefault(kind, []).append((logical_id, physical))
    console.print(f"Resources of stack {served.stack_name}:", markup=False)
    for kind in sorted(by_kind):
        console.print(f"  {kind}", markup=False)
        for logical_id, physical in by_kind[kind]:
            console.print(f"    {logical_id}: {physical}", markup=False, soft_wrap=True)


async def _serve(
    template: Path,
    settings: Settings,
    overrides: dict[str, str],
    watch: bool,
    function_logs: bool,
    loop_watch: LoopWatch | None = None,
) -> None:
    lines = Lines(sys.stderr)
    notes = Notes(console)
    lamina = Lamina(
        template,
        settings,
        overrides,
        note=notes,
        watch=watch,
        access_log=lines,
        function_log=lines if function_logs else None,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        try:
            await lamina.start(announce=print_served)
        finally:
            notes.close()  # an install's spinner ends before the banner (or the error)
        debugger = settings.debugger
        if debugger is not None and lamina.stack is not None:
            functions = lamina.stack.functions.values()
            if not any(debugger.applies_to(f.logical_id, f.name) for f in functions):
                console.print(
                    f"lamina: warning: --debug {debugger.function}: the template has no such "
                    f"function (logical ids: {', '.join(sorted(lamina.stack.functions))})",
                    markup=False,
                    soft_wrap=True,
                )
        # What start-up built (service models, the template) lives as long as Lamina: out of
        # the collector's reach, a request that happens to trigger a full collection does not
        # pay ~100 ms walking it on the loop (the loop watch caught that stall).
        gc.collect()
        gc.freeze()
        if loop_watch is not None:
            # Once serving: start-up's work (reading the template, deploying) is no request's.
            loop_watch.install()
            logging.getLogger("lamina").info(
                "loop watch: on, logging callbacks over %g ms of the loop's CPU time",
                settings.loop_watch_ms,
            )
        await stop.wait()
        lines.flush()  # what was served before the signal is printed before the goodbye
        console.print("lamina: stopping")
    finally:
        if loop_watch is not None:
            loop_watch.close()
        with contextlib.suppress(Exception):
            await lamina.close()
        lines.flush()
