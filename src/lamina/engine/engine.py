"""The local engine: execution environments forked from a zygote on this machine."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
import sys
import uuid
from collections.abc import Collection, Coroutine
from dataclasses import dataclass
from typing import Any

from lamina.clock import Clock, SystemClock
from lamina.engine import launch
from lamina.engine.api import (
    MAX_SYNC_PAYLOAD,
    InvocationType,
    InvokeRequest,
    InvokeResult,
)
from lamina.engine.environment import Ending, Environment, Outcome
from lamina.engine.limits import Concurrency
from lamina.engine.pool import Pool
from lamina.engine.report import PlatformLog, exit_message, make_report, timeout_message
from lamina.engine.zygote import ZygoteProcess
from lamina.errors import (
    InvalidParameterValueException,
    InvalidRequestContentException,
    InvalidRuntimeException,
    RequestEntityTooLargeException,
    ResourceNotFoundException,
    ServiceUnavailableException,
)
from lamina.model.specs import FunctionSpec, Stack
from lamina.settings import Settings

log = logging.getLogger("lamina.engine")
# Lambda gives INIT ten seconds on demand; a longer function timeout is honoured for init too.
_ON_DEMAND_INIT_S = 10.0


@dataclass(slots=True)
class _Started:
    env: Environment
    outcome: Outcome
    init_type: str


class LocalEngine:
    """Implements ``lamina.engine.api.Invoker`` (see its contract)."""

    def __init__(
        self,
        stack: Stack,
        settings: Settings,
        clock: Clock | None = None,
        zygote: ZygoteProcess | None = None,
    ) -> None:
        self.stack = stack
        self.settings = settings
        self._clock = clock or SystemClock()
        self._zygote = zygote or ZygoteProcess(settings.python, settings.preload)
        self._pools: dict[str, Pool] = {name: Pool() for name in stack.functions}
        self._limits = Concurrency(settings.account_concurrency, stack.functions.values())
        self._closed = False
        self._started = False
        self._reaper: asyncio.Task[None] | None = None
        self._base_data = 0
        self._tasks: set[asyncio.Task[object]] = set()

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the zygote, then every provisioned environment, before answering anything."""
        if any(fn.is_python for fn in self.stack.functions.values()):
            await self._zygote.start()
            self._base_data = _vm_data(self._zygote.pid)
        self._announce_interpreter()
        provisioned = [
            self._start_provisioned(fn)
            for fn in self.stack.functions.values()
            if fn.is_python
            for _ in range(fn.provisioned_concurrency)
        ]
        await asyncio.gather(*provisioned)
        self._started = True
        self._reaper = asyncio.create_task(self._reap_forever())

    async def redeploy(self, stack: Stack, recycle: Collection[str] = ()) -> None:
        """Switch to a new stack without stopping.

        Functions whose spec is unchanged and whose logical id is not in ``recycle`` keep their
        warm environments. The others get fresh environments (and their provisioned ones) for
        new requests, while invocations already running finish on the old environments, which
        are discarded afterwards.
        """
        old_stack, old_pools = self.stack, self._pools
        pools: dict[str, Pool] = {}
        retired: list[Pool] = []
        fresh: list[FunctionSpec] = []
        for logical_id, fn in stack.functions.items():
            previous = old_stack.functions.get(logical_id)
            if previous == fn and logical_id not in recycle and logical_id in old_pools:
                pools[logical_id] = old_pools[logical_id]
            else:
                pools[logical_id] = Pool()
                fresh.append(fn)
        for logical_id, pool in old_pools.items():
            if pools.get(logical_id) is not pool:
                retired.append(pool)
        if any(fn.is_python for fn in stack.functions.values()) and self._zygote.pid is None:
            await self._zygote.start()
            self._base_data = _vm_data(self._zygote.pid)
        self.stack, self._pools = stack, pools
        self._limits = Concurrency(self.settings.account_concurrency, stack.functions.values())
        for pool in retired:
            for env in pool.retire():
                self._spawn_task(self._discard(env))
        self._announce_interpreter()
        await asyncio.gather(
            *(
                self._start_provisioned(fn)
                for fn in fresh
                if fn.is_python
                for _ in range(fn.provisioned_concurrency)
            )
        )

    async def close(self) -> None:
        self._closed = True
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
        envs = [env for pool in self._pools.values() for env in pool.all()]
        await asyncio.gather(*(self._discard(env) for env in envs))
        await self._zygote.close()

    async def __aenter__(self) -> LocalEngine:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _announce_interpreter(self) -> None:
        host = f"python{sys.version_info.major}.{sys.version_info.minor}"
        for runtime in sorted({f.runtime for f in self.stack.functions.values() if f.is_python}):
            if runtime != host:
                log.warning("functions on %s run on this machine's Python (%s)", runtime, host)

    # -- invoke ----------------------------------------------------------------------------

    async def invoke(self, request: InvokeRequest) -> InvokeResult:
        if self._closed or not self._started:
            raise ServiceUnavailableException("Lamina's engine is not running.")
        fn = self._resolve(request)
        self._check_payload(request)
        request_id = request.request_id or str(uuid.uuid4())
        if request.invocation_type is InvocationType.DRY_RUN:
            return InvokeResult(request_id, b"", make_report(0.0, fn.memory_mb, 0))
        if request.invocation_type is InvocationType.EVENT:
            raise InvalidParameterValueException(
                "Asynchronous invocation (InvocationType Event) is not available in this engine."
            )
        if not fn.is_python:
            raise InvalidRuntimeException(
                f"The runtime parameter of {fn.runtime} is not supported by Lamina yet."
            )
        limits = self._limits  # a redeploy may replace it meanwhile: release where acquired
        limits.acquire(fn.name)
        try:
            return await self._run(fn, request, request_id)
        finally:
            limits.release(fn.name)

    def _resolve(self, request: InvokeRequest) -> FunctionSpec:
        fn = self.stack.find_function(request.function)
        qualifier = request.qualifier
        if fn is not None and qualifier not in (None, "$LATEST", fn.auto_publish_alias):
            fn = None
        if fn is None:
            arn = request.function
            if not arn.startswith("arn:"):
                arn = (
                    f"arn:aws:lambda:{self.settings.region}:{self.settings.account_id}"
                    f":function:{request.function}"
                )
            suffix = f":{qualifier}" if qualifier else ""
            raise ResourceNotFoundException(f"Function not found: {arn}{suffix}")
        return fn

    @staticmethod
    def _check_payload(request: InvokeRequest) -> None:
        if len(request.payload) > MAX_SYNC_PAYLOAD:
            raise RequestEntityTooLargeException(
                f"Request must be smaller than {MAX_SYNC_PAYLOAD} bytes for the Invoke operation"
            )
        try:
            json.loads(request.payload or b"null")
        except ValueError as exc:
            raise InvalidRequestContentException(
                f"Could not parse request body into json: Could not parse payload into json: {exc}"
            ) from exc

    async def _run(self, fn: FunctionSpec, request: InvokeRequest, request_id: str) -> InvokeResult:
        pool = self._pools[fn.logical_id]
        platform = PlatformLog(fn.logging.log_format.upper() == "JSON", fn.name)
        env = pool.take()
        head = ""
        init_ms: float | None = None
        if env is None:
            started = await self._start_env(fn, "on-demand", pool)
            env, init_ms = started.env, started.outcome.duration_ms
            head = platform.init_start("on-demand") + started.outcome.log
            if started.outcome.ending is not Ending.OK:
                return self._failed_init(fn, platform, request_id, head, started.outcome)
        elif env.invocations == 0:  # first use of a provisioned environment: its init log
            head = platform.init_start("provisioned-concurrency") + env.take_log()
        header = {
            "id": request_id,
            "deadline": int((self._clock.wall() + fn.timeout_s) * 1000),
            "arn": fn.arn if not request.qualifier else f"{fn.arn}:{request.qualifier}",
            "trace": request.trace_id,
            "client_context": _client_context(request.client_context),
            "identity": request.cognito_identity,
        }
        try:
            outcome = await env.invoke(
                header, request.payload or b"{}", fn.timeout_s, fn.memory_mb * launch.MIB
            )
        finally:
            kept = pool.put(env, self._clock.monotonic())
        if not kept:
            self._spawn_task(self._discard(env))
        return self._result(fn, platform, request_id, head, outcome, init_ms)

    def _result(
        self,
        fn: FunctionSpec,
        platform: PlatformLog,
        request_id: str,
        head: str,
        outcome: Outcome,
        init_ms: float | None,
    ) -> InvokeResult:
        body, error_type, status, report_error = outcome.body, None, None, None
        tail = ""
        if outcome.ending is Ending.ERROR:
            error_type = _error_type(body)
            status, report_error = "error", error_type
        elif outcome.ending is Ending.TIMEOUT:
            error_type = "Sandbox.Timedout"
            body = _doc(timeout_message(request_id, fn.timeout_s), error_type)
            status = "timeout"
            tail = platform.timed_out(request_id, fn.timeout_s)
        elif outcome.ending in (Ending.EXITED, Ending.OUT_OF_MEMORY):
            error_type = "Runtime.ExitError"
            body = _doc(exit_message(request_id, outcome.exit_description()), error_type)
            status = "error"
            report_error = (
                "Runtime.OutOfMemory" if outcome.ending is Ending.OUT_OF_MEMORY else error_type
            )
            tail = platform.exited(request_id, outcome.exit_description(), error_type)
        report = make_report(
            outcome.duration_ms, fn.memory_mb, outcome.max_rss_kb, init_ms, status, report_error
        )
        text = (
            head
            + platform.start(request_id)
            + outcome.log
            + tail
            + platform.end(request_id)
            + platform.report(request_id, report)
        )
        return InvokeResult(
            request_id=request_id,
            payload=body,
            report=report,
            function_error="Unhandled" if outcome.ending is not Ending.OK else None,
            error_type=error_type,
            log=text,
        )

    def _failed_init(
        self, fn: FunctionSpec, platform: PlatformLog, request_id: str, head: str, outcome: Outcome
    ) -> InvokeResult:
        """The cold start that was to serve this request failed: the request gets the init error."""
        init_ms = outcome.duration_ms
        shown = Outcome(outcome.ending, outcome.body, 0.0, outcome.max_rss_kb, outcome.exit_status)
        result = self._result(fn, platform, request_id, head + outcome.log, shown, init_ms)
        return result

    # -- environments ----------------------------------------------------------------------

    async def _start_env(self, fn: FunctionSpec, init_type: str, pool: Pool) -> _Started:
        env_id = uuid.uuid4().hex
        env = Environment(env_id, fn.name, self._zygote, self._clock.monotonic)
        pool.hold(env)
        spec = launch.spawn_spec(fn, self.settings, env_id, init_type, self._base_data)
        try:
            outcome = await env.start(spec, max(_ON_DEMAND_INIT_S, fn.timeout_s))
        except BaseException:
            pool.put(env, self._clock.monotonic())
            await self._discard(env)
            raise
        if outcome.ending is not Ending.OK:
            pool.put(env, self._clock.monotonic())
            self._spawn_task(self._discard(env))
        return _Started(env, outcome, init_type)

    async def _start_provisioned(self, fn: FunctionSpec) -> None:
        pool = self._pools[fn.logical_id]
        started = await self._start_env(fn, "provisioned-concurrency", pool)
        if started.outcome.ending is Ending.OK:
            pool.provisioned.add(started.env)
            if not pool.put(started.env, self._clock.monotonic()):
                await self._discard(started.env)
        else:
            log.error(
                "provisioned environment of %s failed to initialise:\n%s",
                fn.name,
                started.outcome.log.strip(),
            )

    async def _discard(self, env: Environment) -> None:
        await env.stop()
        shutil.rmtree(self.settings.state_dir / "envs" / env.id, ignore_errors=True)

    async def _reap_forever(self) -> None:
        interval = max(0.05, min(self.settings.keep_alive_s / 4, 30.0))
        while True:
            await asyncio.sleep(interval)
            self.reap()

    def reap(self) -> int:
        """Stop idle environments older than the keep-alive; returns how many went."""
        now = self._clock.monotonic()
        gone = [
            env
            for pool in self._pools.values()
            for env in pool.expired(now, self.settings.keep_alive_s)
        ]
        for env in gone:
            self._spawn_task(self._discard(env))
        return len(gone)

    def _spawn_task(self, coro: Coroutine[Any, Any, object]) -> None:
        task: asyncio.Task[object] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- introspection (tests, console) ----------------------------------------------------

    def environments(self, function: str) -> list[Environment]:
        fn = self.stack.find_function(function)
        if fn is None:
            return []
        return self._pools[fn.logical_id].all()


def _vm_data(pid: int | None) -> int:
    if pid is None:
        return 0
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmData:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _error_type(body: bytes) -> str | None:
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    return doc.get("errorType") if isinstance(doc, dict) else None


def _doc(message: str, error_type: str) -> bytes:
    return json.dumps({"errorMessage": message, "errorType": error_type}).encode()


def _client_context(raw: str | None) -> str | None:
    """X-Amz-Client-Context is base64 JSON; the runtime gets the JSON."""
    if not raw:
        return None
    import base64
    import binascii

    try:
        return base64.b64decode(raw, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidParameterValueException(
            "Client context must be a valid Base64-encoded JSON object."
        ) from exc
