"""The local engine: execution environments forked from a zygote on this machine."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import shutil
import sys
from collections.abc import Collection, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from lamina import fastjson, ids
from lamina.clock import Clock, SystemClock
from lamina.engine import bytecode, launch, results
from lamina.engine.api import (
    MAX_ASYNC_PAYLOAD,
    MAX_SYNC_PAYLOAD,
    DestinationSink,
    InvocationType,
    InvokeRequest,
    InvokeResult,
)
from lamina.engine.asyncinvoke import AsyncInvoker
from lamina.engine.asyncqueue import EventQueue, NewEvent
from lamina.engine.budget import Budget, default_limit
from lamina.engine.catalog import Catalog, PoolKey, Target
from lamina.engine.environment import Ending, Environment, Outcome, Watchdog, status_kb
from lamina.engine.limits import Concurrency
from lamina.engine.logoutlet import LogOutlet
from lamina.engine.pool import Pool
from lamina.engine.report import PlatformLog, make_report
from lamina.engine.states import State
from lamina.engine.zygote import ZygoteProcess
from lamina.errors import (
    InvalidParameterValueException,
    InvalidRequestContentException,
    InvalidRuntimeException,
    RequestEntityTooLargeException,
    ServiceUnavailableException,
    TooManyRequestsException,
)
from lamina.model.lambdas import LATEST, LambdaFunction
from lamina.model.specs import FunctionSpec
from lamina.observe.api import LogSink
from lamina.observe.metrics import Metrics
from lamina.observe.tracing import InvocationFacts, Tracing
from lamina.runtime import wire
from lamina.settings import Settings

# Payloads larger than this are checked for JSON off the event loop (about 5 ms of parsing).
_PARSE_ON_LOOP_BYTES = 256 * 1024

log = logging.getLogger("lamina.engine")
# Lambda gives INIT ten seconds on demand; a longer function timeout is honoured for init too.
_ON_DEMAND_INIT_S = 10.0
# The timeout of a function under a debugger (launch.debugged): a day, not forever, so an
# environment forgotten at a breakpoint still ends.
_DEBUGGED_TIMEOUT_S = 86_400.0
# Invocations waiting for a busy environment of a brief function (``pool``) are released to
# start their own when none of its environments came back for this long and each of them sleeps
# with no reply written (the function blocks on something) ...
STALL_S = 0.1
# ... or, whatever they do, when none came back for this long (the function now computes at
# length). On a loaded machine a runnable environment can wait well over STALL_S for a CPU:
# starting more of them then only adds processes competing for the same cores.
STARVED_S = 1.0


@dataclass(slots=True)
class _Started:
    env: Environment
    outcome: Outcome
    init_type: str


class LocalEngine:
    """Implements ``lamina.engine.api.LambdaEngine`` (see its contracts).

    It runs what it was last deployed with (``deploy``) and owns no function state: the caller
    (the Lambda registry, or the app) decides what exists. Pools of environments are kept per
    (function name, version): a published version keeps its own warm environments, running its
    own snapshot of the code.
    """

    def __init__(
        self,
        settings: Settings,
        clock: Clock | None = None,
        zygote: ZygoteProcess | None = None,
        rng: random.Random | None = None,
        log_sink: LogSink | None = None,
        metrics: Metrics | None = None,
        tracing: Tracing | None = None,
    ) -> None:
        # Sampled invocations' X-Ray segments (AWS::Lambda, AWS::Lambda::Function).
        self.tracing = tracing
        # Every invocation's log, whoever invoked it, goes here as it is written.
        self.log_sink = log_sink
        # Every invocation's figures (AWS/Lambda), whoever invoked it; None measures nothing.
        self.metrics = metrics
        self.settings = settings
        self._clock = clock or SystemClock()
        self._zygote = zygote or ZygoteProcess(settings.python, settings.preload)
        self._rng = rng or random.Random()
        # Nothing runs until the first ``deploy``.
        self.catalog = Catalog({}, settings.region, settings.account_id, self._rng)
        self._pools: dict[PoolKey, Pool] = {key: Pool() for key in self.catalog.runnable()}
        # What each environment must not see of the other functions (see ``launch``).
        self._function_dirs = launch.function_dirs(self.catalog.runnable().values())
        self._limits = Concurrency(settings.account_concurrency, ())
        self._limits.reconfigure(settings.account_concurrency, self.catalog.reserved())
        self._provisioning: dict[PoolKey, int] = {}
        self._sinks: dict[str, DestinationSink] = {}
        self._async: AsyncInvoker | None = None
        self._closed = False
        self._started = False
        self._zygote_started = False
        self._reaper: asyncio.Task[None] | None = None
        # The loop the engine runs on, from ``start``.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._base_data = 0
        self._tasks: set[asyncio.Task[object]] = set()
        # The deploy's compilation of functions' code (see ``bytecode``), until it ends.
        self._compiling: asyncio.Future[None] | None = None
        self._announced: set[str] = set()
        self._watchdog = Watchdog()
        # Invocations waiting on an environment's reply right now.
        self._in_flight = 0
        # Looks for stalled pools while invocations wait for busy environments.
        self._stall_timer: asyncio.TimerHandle | None = None
        # How many environments may live at once (descriptors and memory); set at start.
        self.budget = Budget(settings.max_environments or 1 << 30)

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the zygote, then every provisioned environment, before answering anything;
        then the async worker (unless ``async_concurrency`` is 0) on what the queue holds."""
        self._loop = asyncio.get_running_loop()
        self.budget.limit = default_limit(self.settings.max_environments)
        await self._start_zygote(self.catalog.runnable())
        self._announce_interpreter()
        await asyncio.gather(*self._provision())
        self._async = AsyncInvoker(
            EventQueue(self.settings.state_dir / "async" / "events.db"),
            self,
            self._clock,
            self.settings.async_concurrency,
            self.settings.async_retry_delays_s,
            self._sinks,
            metrics=self.metrics,
        )
        self._started = True
        self._async.start()
        self._reaper = asyncio.create_task(self._reap_forever())

    def add_destination(self, service: str, sink: DestinationSink) -> None:
        """Where async records for ``arn:aws:<service>:...`` destinations go (sqs, sns, events)."""
        self._sinks[service] = sink

    # -- deployment (FunctionControl) ------------------------------------------------------

    async def deploy(
        self, functions: Mapping[str, LambdaFunction], recycle: Collection[str] = ()
    ) -> None:
        """Switch to ``functions``, the whole snapshot of what exists, without stopping.

        Pools whose spec is unchanged (and whose function name is not in ``recycle``) keep their
        warm environments; the others get fresh ones for new requests while invocations already
        running finish on the old environments, discarded afterwards. Queued async events of a
        function no longer deployed are dropped. Once started, missing provisioned environments
        start in the background (``provisioned_ready`` counts them); before ``start`` they wait
        for it.
        """
        gone = self.catalog.functions.keys() - functions.keys()
        catalog = Catalog(functions, self.settings.region, self.settings.account_id, self._rng)
        await self._apply(catalog, recycle)
        if self._async is not None:
            for name in gone:
                self._async.queue.drop_function(name)
        if self._started:
            for start in self._provision():
                self._spawn_task(start)

    def provisioned_ready(self, name: str, qualifier: str) -> int:
        fn = self.catalog.find(name)
        if fn is None:
            return 0
        alias = fn.aliases.get(qualifier)
        pool = self._pools.get((fn.name, alias.function_version if alias else qualifier))
        return len(pool.provisioned) if pool else 0

    async def _apply(self, catalog: Catalog, recycle: Collection[str]) -> None:
        """Switch to ``catalog``: pools whose spec is unchanged (and not recycled) stay."""
        old_specs, new_specs = self.catalog.runnable(), catalog.runnable()
        pools: dict[PoolKey, Pool] = {}
        for key, spec in new_specs.items():
            recycled = key[0] in recycle and key[1] == LATEST
            if old_specs.get(key) == spec and not recycled and key in self._pools:
                pools[key] = self._pools[key]
            else:
                pools[key] = Pool()
        retired = [pool for key, pool in self._pools.items() if pools.get(key) is not pool]
        if self._started:  # before the switch: no invocation may find it missing
            await self._start_zygote(new_specs)
        self.catalog, self._pools = catalog, pools
        self._function_dirs = launch.function_dirs(new_specs.values())
        if self.settings.isolation:
            # Environments cannot write their code's __pycache__: Lamina does, once.
            python = [spec for spec in new_specs.values() if spec.is_python]
            code = sorted({d for spec in python for d in launch.own_dirs(spec)})
            if self._compiling is not None:
                self._compiling.cancel()
            self._compiling = asyncio.ensure_future(
                bytecode.compile_code(self.settings.python, code)
            )
        self._limits.reconfigure(self.settings.account_concurrency, catalog.reserved())
        for pool in retired:
            for env in pool.retire():
                self._spawn_task(self._discard(env))
        self._announce_interpreter()

    def _provision(self) -> list[Coroutine[Any, Any, None]]:
        """Starts for the provisioned environments missing; releases the ones no longer wanted
        (they stay warm until reaped)."""
        starts: list[Coroutine[Any, Any, None]] = []
        specs = self.catalog.runnable()
        wanted = self.catalog.provisioned()
        for key, pool in self._pools.items():
            count = wanted.get(key, 0)
            have = len(pool.provisioned) + self._provisioning.get(key, 0)
            if count < len(pool.provisioned):
                for env in list(pool.provisioned)[count:]:
                    pool.provisioned.discard(env)
            if specs[key].is_python:
                starts += [self._start_provisioned(key, specs[key]) for _ in range(count - have)]
        return starts

    async def _start_zygote(self, specs: Mapping[PoolKey, FunctionSpec]) -> None:
        """Once some Python function is deployed (and not before: other runtimes need none)."""
        if self._zygote_started:
            return
        if any(spec.is_python for spec in specs.values()):
            await self._zygote.start()
            self._zygote_started = True
            for missing in self.isolation_missing:
                log.warning("functions are not isolated here as on Lambda: no %s", missing)
            self._base_data = status_kb(self._zygote.pid, b"VmData") * 1024

    async def close(self) -> None:
        self._closed = True
        if self._compiling is not None:
            self._compiling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._compiling
        if self._async is not None:
            await self._async.close()
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
        if self._stall_timer is not None:
            self._stall_timer.cancel()
            self._stall_timer = None
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
        runtimes = {f.runtime for f in self.catalog.runnable().values() if f.is_python}
        # Said once per runtime: the Lambda API redeploys often.
        for runtime in sorted(runtimes - self._announced):
            self._announced.add(runtime)
            if runtime != host:
                log.warning("functions on %s run on this machine's Python (%s)", runtime, host)

    @property
    def degraded(self) -> bool:
        """The zygote died and a new one is starting (cold starts wait for it)."""
        return self._zygote.restarting

    @property
    def zygote_restarts(self) -> int:
        return self._zygote.restarts

    @property
    def isolation_missing(self) -> list[str]:
        """The protections this host refuses environments, each with why (see
        ``runtime.sandbox``); all of them when isolation is turned off."""
        if not self.settings.isolation:
            return ["isolation: turned off (LAMINA_ISOLATION=0)"]
        return list(self._zygote.sandbox_missing)

    # -- invoke ----------------------------------------------------------------------------

    async def invoke(self, request: InvokeRequest) -> InvokeResult:
        if self._closed or not self._started:
            raise ServiceUnavailableException("Lamina's engine is not running.")
        target = self.catalog.resolve(request.function, request.qualifier)
        fn = target.spec
        is_event = request.invocation_type is InvocationType.EVENT
        limit = MAX_ASYNC_PAYLOAD if is_event else MAX_SYNC_PAYLOAD
        if not request.payload_is_json or len(request.payload) > limit:  # else nothing to check
            if len(request.payload) > _PARSE_ON_LOOP_BYTES and len(request.payload) <= limit:
                # A 6 MB payload takes a tenth of a second to parse: every other client's time.
                await asyncio.to_thread(self._check_payload, request, limit)
            else:
                self._check_payload(request, limit)
        request_id = request.request_id or ids.request_id()
        if request.invocation_type is InvocationType.DRY_RUN:
            return InvokeResult(request_id, b"", make_report(0.0, fn.memory_mb, 0), fn.version)
        if is_event:
            return await self._enqueue(target, request, request_id)
        if not fn.is_python:
            raise InvalidRuntimeException(
                f"The runtime parameter of {fn.runtime} is not supported by Lamina yet."
            )
        limits = self._limits
        metrics = self.metrics
        if metrics is None:
            limits.acquire(fn.name)
            try:
                return await self._run(target, request, request_id)
            finally:
                limits.release(fn.name)
        figures = metrics.lambda_target(fn.name, target.qualifier, fn.version)
        try:
            limits.acquire(fn.name)
        except TooManyRequestsException:
            figures.throttles.add()
            raise
        running = limits.running(fn.name)
        try:
            result = await self._run(target, request, request_id)
        finally:
            limits.release(fn.name)
        report = result.report
        figures.invoked(
            report.duration_ms, result.function_error is not None, report.init_duration_ms, running
        )
        return result

    async def initialise(self, function: str) -> bytes | None:
        """Run INIT in a new environment of ``function`` (its handler imported, as in a cold
        start) and keep the environment warm for the next invocation (``lamina validate``).
        None when it initialised; else the error document an invocation would have answered
        (``errorMessage``, ``errorType``, ``stackTrace``)."""
        if self._closed or not self._started:
            raise ServiceUnavailableException("Lamina's engine is not running.")
        target = self.catalog.resolve(function)
        pool = self._pools[target.key]
        started = await self._start_env(target.spec, "on-demand", pool)
        if started.outcome.ending is not Ending.OK:
            return started.outcome.body or b"{}"
        if not self._return(pool, started.env):
            self._spawn_task(self._discard(started.env))
        return None

    async def _enqueue(
        self, target: Target, request: InvokeRequest, request_id: str
    ) -> InvokeResult:
        assert self._async is not None
        _client_context(request.client_context)  # refused now rather than at every retry
        await self._async.submit(
            NewEvent(
                request_id=request_id,
                function=target.function.name,
                qualifier=target.qualifier,
                payload=request.payload or b"{}",
                received_at=self._clock.wall(),
                client_context=request.client_context,
                trace_id=request.trace_id,
            )
        )
        if self.metrics is not None:  # counted once committed
            spec = target.spec
            figures = self.metrics.lambda_target(spec.name, target.qualifier, spec.version)
            figures.async_received.add()
        return InvokeResult(request_id, b"", make_report(0.0, target.spec.memory_mb, 0))

    @staticmethod
    def _check_payload(request: InvokeRequest, limit: int) -> None:
        if len(request.payload) > limit:
            operation = "Invoke" if limit == MAX_SYNC_PAYLOAD else "InvokeAsync"
            raise RequestEntityTooLargeException(
                f"Request must be smaller than {limit} bytes for the {operation} operation"
            )
        if request.payload_is_json:
            return
        try:
            fastjson.loads(request.payload or b"null")
        except ValueError as exc:
            raise InvalidRequestContentException(
                f"Could not parse request body into json: Could not parse payload into json: {exc}"
            ) from exc

    async def _run(self, target: Target, request: InvokeRequest, request_id: str) -> InvokeResult:
        fn = target.spec
        pool = self._pools[target.key]
        platform = target.platform_log
        env = None
        tracing = self.tracing
        received = self._clock.wall()
        header = request.trace_id
        # Most calls come with an unsampled header: nothing to enter then (enter_lambda's rule).
        hop = (
            tracing.enter_lambda(header, fn.tracing_active, received)
            if tracing is not None
            and (fn.tracing_active or (header is not None and "Sampled=1" in header))
            else None
        )
        if pool.must_wait():
            waiter = pool.wait(self._clock.monotonic(), self._loop)
            if self._stall_timer is None:
                self._stall_timer = (self._loop or asyncio.get_running_loop()).call_later(
                    STALL_S, self._release_stalled
                )
            try:
                env = await waiter
            except asyncio.CancelledError:
                # Cancelled after an environment was handed over: it goes back to the pool.
                if waiter.done() and not waiter.cancelled() and (handed := waiter.result()):
                    pool.put(handed, self._clock.monotonic())
                raise
        if env is None:
            env = pool.take()
        if env is None and not self.budget.has_room():
            env = await self._wait_for_room(pool)
        head = ""
        init_ms: float | None = None
        if env is None:
            started = await self._start_env(fn, "on-demand", pool)
            env, init_ms = started.env, started.outcome.duration_ms
            head = platform.init_start("on-demand") + started.outcome.log
            if started.outcome.ending is not Ending.OK:
                env.outlet.platform(platform.start(request_id))
                result, closing = results.failed_init(
                    fn, platform, request_id, head, started.outcome
                )
                env.outlet.platform(closing)
                if hop is not None and tracing is not None:  # the trace shows the failed init
                    ended = self._clock.wall()
                    facts = InvocationFacts(
                        fn.name, target.invoked_arn, request_id, received,
                        (init_ms or 0.0) / 1000, ended, 0.0, ended,
                        result.function_error or "Unhandled",
                    )  # fmt: skip
                    tracing.invocation(hop, facts)
                return result
        elif env.invocations == 0:  # first use of a provisioned environment: its init log
            head = platform.init_start("provisioned-concurrency") + env.take_log()
        outlet = env.outlet
        start = platform.start(request_id)
        invoked = self._clock.wall()
        now_ms = int(invoked * 1000)  # START's timestamp, and the deadline's origin
        outlet.opening(start, now_ms)
        client_context = request.client_context
        message = wire.Invoke(
            request_id,
            now_ms + int(fn.timeout_s * 1000),
            target.invoked_arn,
            hop.header if hop is not None else request.trace_id,
            _client_context(client_context) if client_context else None,
            request.cognito_identity,
            request.tenant_id,
        )
        # A person stepping through the function under a debugger is not a hung function.
        timeout_s = _DEBUGGED_TIMEOUT_S if launch.debugged(fn, self.settings) else fn.timeout_s
        # Alone and quick: worth polling for the reply rather than sleeping until it comes.
        spin = self._in_flight == 0 and pool.quick and not pool.waiters
        self._in_flight += 1
        try:
            outcome = await env.invoke(
                message, request.payload or b"{}", timeout_s, fn.memory_mb * launch.MIB, spin
            )
        finally:
            self._in_flight -= 1
            kept = self._return(pool, env)
        if not kept:
            self._spawn_task(self._discard(env))
        if outcome.ending is Ending.OK:
            pool.note_duration(outcome.duration_ms)
        result, closing = results.build(fn, platform, request_id, head, outcome, init_ms, start)
        outlet.platform(closing)
        if hop is not None and tracing is not None:
            init_s = init_ms / 1000 if init_ms is not None else None
            facts = InvocationFacts(
                fn.name, target.invoked_arn, request_id, received, init_s, invoked,
                outcome.duration_ms / 1000, self._clock.wall(), result.function_error,
            )  # fmt: skip
            tracing.invocation(hop, facts)
        return result

    async def _wait_for_room(self, pool: Pool) -> Environment | None:
        """No room for another environment: stop the idle one unused longest (of any function)
        and wait, first come first served, for an environment of this function to come back
        (returned) or for room (None: start one)."""
        budget = self.budget
        while True:
            oldest: tuple[float, Environment, Pool] | None = None
            for other in self._pools.values():
                found = other.oldest_idle()
                if found is not None and (oldest is None or found[0] < oldest[0]):
                    oldest = (found[0], found[1], other)
            if oldest is not None:
                oldest[2].remove_idle(oldest[1])
                self._spawn_task(self._discard(oldest[1]))
            waiter = budget.wait(pool)
            try:
                env: Environment | None = await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled() and (handed := waiter.result()):
                    self._return(pool, handed)
                raise
            if env is not None or budget.live < budget.limit:
                return env

    def _return(self, pool: Pool, env: Environment) -> bool:
        """An environment is done with an invocation: handed to an invocation of its function
        waiting for room, else back to its pool; stopped instead (False) when it cannot be reused
        or another function waits for the room it takes."""
        budget = self.budget
        if budget.waiters and env.state is State.IDLE and not pool.retired:
            if budget.hand_over(pool, env):
                return True
            if budget.others_waiting(pool) and env not in pool.provisioned:
                pool.drop(env)
                return False
        return pool.put(env, self._clock.monotonic())

    def _release_stalled(self) -> None:
        """Waiters of a pool that stalled (a usually brief function now blocks or computes at
        length: see ``STALL_S`` and ``STARVED_S``) start environments of their own, as on
        Lambda."""
        self._stall_timer = None
        now = self._clock.monotonic()
        waiting = False
        for pool in self._pools.values():
            if not pool.waiters:
                continue
            quiet = min(now - pool.freed_at, now - pool.waiters[0][0])
            if quiet >= STARVED_S or (quiet >= STALL_S and all(env.asleep() for env in pool.busy)):
                pool.release_waiters()
            else:
                waiting = True
        if waiting:
            self._stall_timer = asyncio.get_running_loop().call_later(
                STALL_S, self._release_stalled
            )

    # -- environments ----------------------------------------------------------------------

    async def _start_env(self, fn: FunctionSpec, init_type: str, pool: Pool) -> _Started:
        env_id = ids.hex_id()
        wall = self._clock.wall
        # One name for the stream the engine writes and the one the function is told about.
        stream = launch.log_stream(fn, env_id, wall())
        outlet = LogOutlet(self.log_sink, fn.log_group, stream, lambda: int(wall() * 1000))
        outlet.platform(PlatformLog.for_function(fn).init_start(init_type))
        env = Environment(
            env_id, fn.name, self._zygote, self._clock.monotonic, self._watchdog, outlet
        )
        self.budget.opened(env_id)
        pool.hold(env)
        spec = launch.spawn_spec(
            fn, self.settings, env_id, init_type, self._base_data, stream, self._function_dirs
        )
        try:
            init_s = max(_ON_DEMAND_INIT_S, fn.timeout_s)
            if launch.debugged(fn, self.settings):  # the init waits for debugpy's client
                init_s = _DEBUGGED_TIMEOUT_S
            outcome = await env.start(spec, init_s)
        except BaseException:
            pool.put(env, self._clock.monotonic())
            await self._discard(env)
            raise
        if outcome.ending is not Ending.OK:
            pool.put(env, self._clock.monotonic())
            self._spawn_task(self._discard(env))
        return _Started(env, outcome, init_type)

    async def _start_provisioned(self, key: PoolKey, fn: FunctionSpec) -> None:
        pool = self._pools[key]
        self._provisioning[key] = self._provisioning.get(key, 0) + 1
        try:
            started = await self._start_env(fn, "provisioned-concurrency", pool)
        finally:
            self._provisioning[key] -= 1
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
        try:
            await env.stop()
            shutil.rmtree(self.settings.state_dir / "envs" / env.id, ignore_errors=True)
        finally:
            self.budget.closed(env.id)

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
        """Every environment of the function, all versions."""
        fn = self.catalog.find(function)
        if fn is None:
            return []
        return [env for key, pool in self._pools.items() if key[0] == fn.name for env in pool.all()]


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
