"""``lamina reset``: wipe a state directory (tables, queues, buckets, logs, builds, the key pair).

Asks for confirmation unless ``--yes``. Only a directory Lamina made is wiped (it holds
``credentials.json`` or Lamina's stores), so a mistyped ``--state-dir`` cannot delete a home
directory. A directory a running ``lamina up`` or ``lamina invoke`` serves is refused (its lock
is held: see ``app.statelock``); reset holds the lock itself while it deletes.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer

from lamina import app
from lamina.app import statelock
from lamina.errors import LaminaError
from lamina.template import find_template

# Files only a Lamina state directory holds; one is enough to recognise it.
_MARKERS = ("credentials.json", "logs", "build", "dynamodb.sqlite3", "sqs.sqlite3", "lambda")


def command(
    template: Annotated[
        Path, typer.Argument(help="SAM template, or a directory holding template.yaml.")
    ] = Path("."),
    state_dir: Annotated[
        Path | None, typer.Option("--state-dir", help="Default: .lamina/ beside the template.")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete everything Lamina keeps for a template (its state directory), after confirmation."""
    if state_dir is None:
        try:
            state_dir = app.default_state_dir(find_template(template))
        except LaminaError as exc:
            typer.echo(f"lamina: error: {exc} (or give --state-dir)", err=True)
            raise typer.Exit(2) from exc
    if not state_dir.exists():
        typer.echo(f"lamina: nothing to reset: {state_dir} does not exist", err=True)
        return
    if not state_dir.is_dir() or not any((state_dir / m).exists() for m in _MARKERS):
        typer.echo(
            f"lamina: error: {state_dir} is not a Lamina state directory; not deleting it",
            err=True,
        )
        raise typer.Exit(2)
    if not yes and not typer.confirm(
        f"Delete {state_dir} (tables, queues, buckets, logs, builds and the key pair)?",
        err=True,
    ):
        typer.echo("lamina: nothing deleted", err=True)
        raise typer.Exit(1)
    try:
        lock = statelock.take(state_dir, "lamina reset")
    except statelock.StateDirectoryInUse as exc:
        typer.echo(f"lamina: error: {exc}; stop it first, nothing deleted", err=True)
        raise typer.Exit(2) from exc
    try:
        shutil.rmtree(state_dir)
    finally:
        lock.release()
    typer.echo(f"lamina: deleted {state_dir}", err=True)
