"""``lamina invoke``: run one function once, like ``sam local invoke`` without Docker.

The Invoke payload goes to stdout exactly as ``aws lambda invoke`` writes its outfile; the
function's log (ending with its REPORT line) goes to stderr.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from pathlib import Path
from types import MappingProxyType

import typer

from lamina import app
from lamina.cli.options import parse_overrides
from lamina.engine.api import Engine, InvokeRequest, InvokeResult
from lamina.errors import AwsError, LaminaError
from lamina.model.specs import Stack
from lamina.settings import Settings


def command(
    function: str = typer.Argument(..., help="Logical id, name or ARN of the function."),
    template: Path = typer.Option(
        Path("template.yaml"), "--template", "-t", help="SAM template (file or directory)."
    ),
    event: str | None = typer.Option(
        None, "--event", "-e", help="File holding the event JSON, or - for stdin. Default: {}."
    ),
    parameter_overrides: list[str] = typer.Option(
        [], "--parameter-overrides", help="Template parameters as Key=Value (repeatable)."
    ),
    state_dir: Path | None = typer.Option(
        None,
        "--state-dir",
        help="Where Lamina keeps builds and state. Default: .lamina/ beside the template.",
    ),
    qualifier: str | None = typer.Option(None, "--qualifier", help="Version or alias."),
) -> None:
    """Invoke a function of a template once and print its result."""
    _configure_logging()
    template_path = app.find_template(template)
    settings = Settings.from_env(state_dir or app.default_state_dir(template_path))
    payload = _read_event(event)
    zygote = app.launch_zygote(settings)
    try:
        stack = app.load(template_path, settings, parse_overrides(parameter_overrides), _note)
        engine = app.build_engine(_only(stack, function), settings, zygote)
        result = app.run(_invoke(engine, function, payload, qualifier))
    except AwsError as exc:
        _fail(f"{exc.code}: {exc.message}")
    except LaminaError as exc:
        _fail(str(exc))
    sys.stderr.write(result.log)
    sys.stderr.flush()
    sys.stdout.buffer.write(result.payload)
    if sys.stdout.isatty():
        sys.stdout.buffer.write(b"\n")
    sys.stdout.flush()
    if not result.ok:
        raise typer.Exit(1)


def _only(stack: Stack, function: str) -> Stack:
    """A one-shot invoke starts just the function it runs, with no provisioned environments."""
    for warning in (stack.unsupported_warning(), *stack.warnings):
        if warning:
            _note(warning)
    fn = stack.find_function(function)
    if fn is None:
        return stack
    fn = dataclasses.replace(fn, provisioned_concurrency=0)
    return dataclasses.replace(stack, functions=MappingProxyType({fn.logical_id: fn}))


async def _invoke(
    engine: Engine, function: str, payload: bytes, qualifier: str | None
) -> InvokeResult:
    await engine.start()
    try:
        return await engine.invoke(
            InvokeRequest(function=function, payload=payload, qualifier=qualifier)
        )
    finally:
        await engine.close()


def _read_event(event: str | None) -> bytes:
    if event is None:
        return b"{}"
    if event == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(event).read_bytes()
    except OSError as exc:
        raise typer.BadParameter(f"cannot read event file {event}: {exc.strerror}") from exc


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="lamina: %(message)s", stream=sys.stderr)


def _note(message: str) -> None:
    sys.stderr.write(f"lamina: {message}\n")


def _fail(message: str) -> None:
    sys.stderr.write(f"lamina: error: {message}\n")
    raise typer.Exit(2)
