"""``lamina invoke``: run one function once, like ``sam local invoke`` without Docker.

The Invoke payload goes to stdout exactly as ``aws lambda invoke`` writes its outfile; the
function's log (ending with its REPORT line) goes to stderr.

With ``--endpoint URL`` the function is invoked on a running Lamina (``lamina up``) through its
Lambda API over HTTP, as any AWS client would, signed with the state directory's key pair (or the
usual AWS credential chain when there is none): nothing is started here, and the template is not
read (the function may be one created through the API).
"""

from __future__ import annotations

import base64
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console

from lamina import app, credentials
from lamina.app.statelock import StateDirectoryInUse
from lamina.cli import debugging
from lamina.cli.options import complete_function, interrupt_on_ctrl_c, parse_overrides
from lamina.cli.progress import Notes
from lamina.engine.api import InvokeRequest, InvokeResult
from lamina.errors import AwsError, LaminaError
from lamina.model.specs import Stack
from lamina.observe.console import ConsoleSink
from lamina.settings import Settings
from lamina.template import find_template
from lamina.template.build import abandon_installs

if TYPE_CHECKING:
    from lamina.app.oneshot import OneShot


def command(
    function: str = typer.Argument(
        ...,
        help="Logical id, name or ARN of the function.",
        autocompletion=complete_function,
    ),
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
    endpoint: str | None = typer.Option(
        None, "--endpoint", help="Invoke on a running Lamina's AWS endpoint (http://HOST:PORT)."
    ),
    invocation_type: str = typer.Option(
        "RequestResponse",
        "--invocation-type",
        help="RequestResponse, Event or DryRun (Event and DryRun need --endpoint).",
    ),
    debug: bool = typer.Option(
        False,
        "--debug",
        help="Run the function under debugpy: it waits for a debugger (VS Code, PyCharm) to "
        "attach on 127.0.0.1:--debug-port before running.",
    ),
    debug_port: int = typer.Option(
        debugging.DEFAULT_PORT, "--debug-port", min=1, max=65535, help="Port debugpy listens on."
    ),
    use_pdb: bool | None = typer.Option(
        None,
        "--pdb/--no-pdb",
        help="breakpoint() opens pdb on this terminal, and the timeout stops at its prompt "
        "(default: when run on a terminal).",
    ),
) -> None:
    """Invoke a function of a template once and print its result."""
    _configure_logging()
    payload = _read_event(event)
    if endpoint is not None:
        pair = credentials.read(state_dir or app.default_state_dir(find_template(template)))
        ok = _invoke_remote(endpoint, function, payload, qualifier, invocation_type, pair)
        raise typer.Exit(0 if ok else 1)
    if invocation_type != "RequestResponse":
        raise typer.BadParameter(
            "Event and DryRun invocations need --endpoint", param_hint="--invocation-type"
        )
    try:
        template_path = find_template(template)
    except LaminaError as exc:
        _fail(str(exc))
    # A one-shot run leaves queued asynchronous events to `lamina up` (no async worker here).
    debugger = None
    if debug:
        debugger = debugging.debugpy_for(function, debug_port)
        _log(f"lamina: {debugging.announce(debugger)}")
    elif use_pdb is not False:
        debugger = debugging.pdb_for(function)
    settings = Settings.from_env(
        state_dir or app.default_state_dir(template_path),
        async_concurrency=0,
        project_dir=template_path.parent,
        debugger=debugger,
    )
    # Imported lazily: the services it serves cost every other command's start 0.3 s.
    from lamina.app.oneshot import OneShot

    zygote = app.launch_zygote(settings)
    # The log is printed as the function writes it, as `lamina up` prints it.
    notes = Notes(Console(stderr=True, highlight=False))
    run = OneShot(
        template_path,
        settings,
        parse_overrides(parameter_overrides),
        zygote,
        note=notes,
        log_sink=ConsoleSink(_log, prefixed=False),
    )
    try:
        interrupt_on_ctrl_c()
        try:
            result = app.run(_invoke(run, function, payload, qualifier))
        finally:
            notes.close()  # before any line below: the spinner shares the terminal
    except KeyboardInterrupt:
        # Ctrl+C during the build or the run: one line, no traceback (nothing half-built kept).
        abandon_installs()
        _note("interrupted")
        raise typer.Exit(130) from None
    except AwsError as exc:
        _fail(f"{exc.code}: {exc.message}")
    except StateDirectoryInUse as exc:
        serving = exc.holder.get("endpoint")
        through = f"invoke through it with --endpoint {serving}, " if serving else ""
        _fail(f"{exc}: {through}or give another --state-dir")
    except LaminaError as exc:
        _fail(str(exc))
    sys.stdout.buffer.write(result.payload)
    if sys.stdout.isatty():
        sys.stdout.buffer.write(b"\n")
    sys.stdout.flush()
    if not result.ok:
        raise typer.Exit(1)


def _log(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


def _warn(stack: Stack) -> None:
    for warning in (stack.unsupported_warning(), *stack.warnings):
        if warning:
            _note(warning)


async def _invoke(
    run: OneShot, function: str, payload: bytes, qualifier: str | None
) -> InvokeResult:
    try:
        engine = await run.start()
        assert run.stack is not None
        _warn(run.stack)
        return await engine.invoke(
            InvokeRequest(function=function, payload=payload, qualifier=qualifier)
        )
    finally:
        await run.close()


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


def _fail(message: str) -> NoReturn:
    sys.stderr.write(f"lamina: error: {message}\n")
    raise typer.Exit(2)


# -- on a running Lamina, through its Lambda API ------------------------------------------


def lambda_client(
    endpoint: str, pair: credentials.KeyPair | None, region: str = "us-east-1"
) -> Any:
    """A boto3 ``lambda`` client for ``endpoint`` that does not retry (errors show at once),
    signing with the state directory's key pair, or else with the usual AWS credential chain
    (``eval "$(lamina env)"`` sets it)."""
    import boto3  # imported lazily: keeps the CLI's start fast for every other command
    from botocore.config import Config

    config = Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=900)
    keys = (
        {"aws_access_key_id": pair.access_key_id, "aws_secret_access_key": pair.secret_access_key}
        if pair is not None
        else {}
    )
    return boto3.client("lambda", endpoint_url=endpoint, region_name=region, config=config, **keys)


def _invoke_remote(
    endpoint: str,
    function: str,
    payload: bytes,
    qualifier: str | None,
    invocation_type: str,
    pair: credentials.KeyPair | None,
) -> bool:
    """Invoke once; the payload on stdout, the log tail on stderr. False if the function failed."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = lambda_client(endpoint, pair)
    kwargs: dict[str, Any] = {
        "FunctionName": function,
        "Payload": payload,
        "InvocationType": invocation_type,
        "LogType": "Tail" if invocation_type == "RequestResponse" else "None",
    }
    if qualifier:
        kwargs["Qualifier"] = qualifier
    try:
        response = client.invoke(**kwargs)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        _fail(f"{error.get('Code')}: {error.get('Message')}")
    except BotoCoreError as exc:
        _fail(f"cannot reach {endpoint}: {exc}")
    if response.get("LogResult"):
        sys.stderr.write(base64.b64decode(response["LogResult"]).decode("utf-8", "replace"))
    body = response["Payload"].read()
    if invocation_type != "RequestResponse":
        sys.stderr.write(f"lamina: {response['StatusCode']} ({invocation_type} accepted)\n")
    sys.stdout.buffer.write(body)
    if body and sys.stdout.isatty():
        sys.stdout.buffer.write(b"\n")
    sys.stdout.flush()
    return "FunctionError" not in response
