"""``lamina env``: the shell lines that point the AWS CLI, SDKs and scripts at Lamina.

``eval "$(lamina env)"`` exports the AWS endpoint, the state directory's key pair (made now if
``lamina up`` has not made it yet, so either may run first) and the region. It takes ``lamina up``'s
template argument, ``--state-dir``, ``--host`` and ``--services-port`` so that both name the same
Lamina. A session token left in the shell would be sent along with Lamina's key, so it is unset.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from lamina import app, credentials
from lamina.errors import LaminaError
from lamina.settings import Settings
from lamina.template.loader import find_template


def command(
    template: Annotated[
        Path, typer.Argument(help="SAM template, or a directory holding template.yaml.")
    ] = Path("."),
    host: Annotated[str, typer.Option("--host", help="Address lamina up listens on.")] = (
        "127.0.0.1"
    ),
    services_port: Annotated[
        int | None,
        typer.Option("--services-port", min=1, max=65535, help="Port of the AWS endpoint."),
    ] = None,
    state_dir: Annotated[
        Path | None, typer.Option("--state-dir", help="Default: .lamina/ beside the template.")
    ] = None,
) -> None:
    """Print export lines for AWS_ENDPOINT_URL, Lamina's key pair and the region."""
    if state_dir is None:
        try:
            state_dir = app.default_state_dir(find_template(template))
        except LaminaError as exc:
            typer.echo(f"lamina: error: {exc} (or give --state-dir)", err=True)
            raise typer.Exit(2) from exc
    settings = Settings.from_env(state_dir, services_port=services_port)
    pair = credentials.load_or_create(settings.state_dir)
    shown_host = "localhost" if host in ("0.0.0.0", "::") else host
    if ":" in shown_host:
        shown_host = f"[{shown_host}]"
    values = {
        "AWS_ENDPOINT_URL": f"http://{shown_host}:{settings.services_port}",
        "AWS_ACCESS_KEY_ID": pair.access_key_id,
        "AWS_SECRET_ACCESS_KEY": pair.secret_access_key,
        "AWS_REGION": settings.region,
        "AWS_DEFAULT_REGION": settings.region,
    }
    for name, value in values.items():
        typer.echo(f"export {name}={shlex.quote(value)}")
    typer.echo("unset AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_PROFILE")
