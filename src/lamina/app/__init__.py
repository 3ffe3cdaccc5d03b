"""The composition root: the one place that builds concrete parts from settings and wires them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any, TypeVar

from lamina.app.dynamic import StoredValues
from lamina.engine import zygote as zygotes
from lamina.engine.engine import LocalEngine
from lamina.engine.zygote import ZygoteProcess
from lamina.model.specs import Stack
from lamina.observe.api import LogSink
from lamina.observe.metrics import Metrics
from lamina.observe.store import LogStore
from lamina.observe.tracing import Tracing
from lamina.settings import Settings
from lamina.template import load_stack
from lamina.template.build import prepare

T = TypeVar("T")
log = logging.getLogger("lamina")


def run(main: Coroutine[Any, Any, T], uvloop: bool = True) -> T:
    """Run the top-level coroutine on uvloop when it is installed (and ``uvloop`` is true)."""
    if not uvloop:
        return asyncio.run(main)
    try:
        import uvloop as fast
    except ImportError:
        return asyncio.run(main)
    return fast.run(main)


def default_state_dir(template: Path) -> Path:
    return template.resolve().parent / ".lamina"


def stack_name_for(template: Path) -> str:
    name = template.resolve().parent.name or "lamina"
    cleaned = "".join(c if c.isalnum() or c == "-" else "-" for c in name).strip("-")
    return cleaned or "lamina"


def load(
    template: Path,
    settings: Settings,
    parameter_overrides: Mapping[str, str] | None = None,
    log: Callable[[str], None] = lambda _: None,
    *,
    translate_elsewhere: bool = False,
) -> Stack:
    """Read the template and prepare what its functions need to run (inline code, requirements).

    A long-running caller (``lamina up``) passes ``translate_elsewhere``: the SAM translator then
    runs in a short-lived process and its memory is never part of the server's; what it
    translated is kept in the state directory for the next start (``translator``)."""
    stack = load_stack(
        template,
        stack_name=stack_name_for(template),
        region=settings.region,
        account_id=settings.account_id,
        parameter_overrides=parameter_overrides,
        queue_endpoint=None if "sqs" in settings.endpoints else settings.services_endpoint,
        dynamic=StoredValues(settings),
        translate_elsewhere=translate_elsewhere,
        translations=settings.state_dir / "translations" if translate_elsewhere else None,
    )
    return prepare(stack, settings.state_dir, python=settings.python, log=log)


def launch_zygote(settings: Settings) -> ZygoteProcess:
    """Start the zygote's process early (it warms up while the template is read), or take the
    one the CLI started before its imports (``zygote.prelaunch``)."""
    return zygotes.launched(settings.python, settings.preload)


def build_engine(
    settings: Settings,
    zygote: ZygoteProcess | None = None,
    log_sink: LogSink | None = None,
    metrics: Metrics | None = None,
    tracing: Tracing | None = None,
) -> LocalEngine:
    """An engine running nothing until it is deployed (``FunctionControl.deploy``)."""
    return LocalEngine(settings, zygote=zygote, log_sink=log_sink, metrics=metrics, tracing=tracing)


def build_log_store(settings: Settings) -> LogStore:
    """The log groups of this state directory (CloudWatch Logs' data)."""
    return LogStore(settings.state_dir / "logs")
