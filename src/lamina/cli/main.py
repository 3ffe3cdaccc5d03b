"""The ``lamina`` command surface: one typer app, one module per command."""

from __future__ import annotations

import typer

from lamina.cli import env, generate_event, invoke, up, validate

app = typer.Typer(
    name="lamina",
    help="Run AWS Lambda and API Gateway applications from a SAM template, locally and fast.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("up")(up.command)
app.command("invoke")(invoke.command)
app.command("validate")(validate.command)
app.command("env")(env.command)
app.add_typer(generate_event.app, name="generate-event")


def main() -> None:
    app()
