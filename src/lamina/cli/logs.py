"""``lamina logs FUNCTION``: a function's log, read from the state directory's log store.

Works whether Lamina runs or not (``lamina up`` and ``lamina invoke`` both write the store, as
CloudWatch Logs keeps it: ``<state>/logs``). FUNCTION is a logical id of the template (its
physical name is looked up there) or a function's name. ``--since`` keeps events newer than a
duration (``30s``, ``10m``, ``2h``, ``1d``) or an ISO 8601 time; ``--follow`` keeps printing new
events, as ``sam logs --tail`` does, until Ctrl+C.
"""

from __future__ import annotations

import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from lamina import app
from lamina.cli.options import complete_function
from lamina.clock import SYSTEM
from lamina.errors import LaminaError
from lamina.observe.api import function_group
from lamina.observe.store import LogStore, StoredEvent
from lamina.template import find_template, load_stack

_DURATION = re.compile(r"^(\d+)\s*([smhd])$")
_UNITS_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# How often --follow looks for new events: soon enough to feel live.
_FOLLOW_EVERY_S = 0.5


def parse_since(value: str, now_ms: int) -> int:
    """The earliest timestamp (ms) ``--since`` keeps."""
    found = _DURATION.match(value.strip())
    if found:
        return now_ms - int(found[1]) * _UNITS_S[found[2]] * 1000
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is neither a duration (30s, 10m, 2h, 1d) nor an ISO 8601 time",
            param_hint="--since",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _group(store: LogStore, function: str, template: Path) -> str:
    """The log group of ``function``: its own name's, else its logical id's in the template."""
    if store.has_group(function_group(function)):
        return function_group(function)
    try:
        file = find_template(template)
        stack = load_stack(file, stack_name=app.stack_name_for(file))
    except LaminaError:
        stack = None
    spec = stack.find_function(function) if stack is not None else None
    if spec is not None:
        return spec.log_group
    names = ", ".join(g.name.removeprefix("/aws/lambda/") for g in store.groups()) or "none"
    typer.echo(
        f"lamina: error: no log of a function {function!r} in {store.root} "
        f"(functions with logs: {names})",
        err=True,
    )
    raise typer.Exit(2)


def _print(event: StoredEvent) -> None:
    stamp = datetime.fromtimestamp(event.timestamp / 1000, UTC).isoformat(timespec="milliseconds")
    sys.stdout.write(f"{stamp.replace('+00:00', 'Z')} {event.message}\n")


def command(
    function: Annotated[
        str,
        typer.Argument(
            help="Logical id or name of the function.", autocompletion=complete_function
        ),
    ],
    template: Annotated[
        Path, typer.Option("--template", "-t", help="SAM template (file or directory).")
    ] = Path("."),
    state_dir: Annotated[
        Path | None, typer.Option("--state-dir", help="Default: .lamina/ beside the template.")
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new events until Ctrl+C.")
    ] = False,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only events newer than 30s, 10m, 2h, 1d or an ISO time."),
    ] = None,
) -> None:
    """Print a function's log from the state directory (of a running or stopped Lamina)."""
    if state_dir is None:
        try:
            state_dir = app.default_state_dir(find_template(template))
        except LaminaError as exc:
            typer.echo(f"lamina: error: {exc} (or give --state-dir)", err=True)
            raise typer.Exit(2) from exc
    cutoff = parse_since(since, int(SYSTEM.wall() * 1000)) if since else 0
    if not (state_dir / "logs").is_dir():
        typer.echo(f"lamina: error: no logs in {state_dir} (has Lamina run there?)", err=True)
        raise typer.Exit(2)
    store = LogStore(state_dir / "logs")
    try:
        group = _group(store, function, template)
        printed: dict[str, int] = {}
        while True:
            fresh: list[StoredEvent] = []
            streams = [s.name for s in store.streams(group)] if store.has_group(group) else []
            for stream in streams:
                events = store.events(group, stream)
                fresh += events[printed.get(stream, 0) :]
                printed[stream] = len(events)
            for event in sorted(fresh, key=lambda e: e.timestamp):
                if event.timestamp >= cutoff:
                    _print(event)
            sys.stdout.flush()
            if not follow:
                return
            time.sleep(_FOLLOW_EVERY_S)
    except KeyboardInterrupt:
        return  # Ctrl+C ends --follow: not an error
    finally:
        store.close()
