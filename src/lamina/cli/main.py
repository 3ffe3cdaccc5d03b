"""The ``lamina`` command surface: one typer app, one module per command."""

from __future__ import annotations

import sys
from typing import Annotated

from lamina.cli import early

# Before the commands' imports (a few tenths of a second): ``lamina up``'s zygote warms up, and
# a first start's SAM translator imports, on the other core meanwhile instead of after them.
if sys.argv[1:2] == ["up"]:
    early.prelaunch_translator(sys.argv)
    early.prelaunch_zygote(sys.argv)

import typer

from lamina import __version__
from lamina.cli import env, generate_event, invoke, logs, reset, up, validate

app = typer.Typer(
    name="lamina",
    help="Run AWS Lambda and API Gateway applications from a SAM template, locally and fast.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain click help: it wraps long option names and help text to the terminal's width,
    # where rich's panels cut option names short at 80 columns ("--parameter-overri…").
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"lamina {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print Lamina's version and exit.",
        ),
    ] = False,
) -> None:
    """Run AWS Lambda and API Gateway applications from a SAM template, locally and fast."""


commands = (
    ("up", up),
    ("invoke", invoke),
    ("validate", validate),
    ("env", env),
    ("logs", logs),
    ("reset", reset),
)
for name, module in commands:
    # The whole first line of the docstring in the command list: click would cut it to fit
    # the width left by the longest name ("Deploy a template ... and serve its APIs...").
    summary = (module.command.__doc__ or "").strip().splitlines()[0]
    app.command(name, short_help=summary)(module.command)
app.add_typer(generate_event.app, name="generate-event")


def main() -> None:
    # Named so under ``python -m lamina`` too: its usage lines, and the variable shell
    # completion calls it with (``_LAMINA_COMPLETE``), are the ``lamina`` command's.
    app(prog_name="lamina")
