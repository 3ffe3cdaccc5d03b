"""``lamina up``: one template deployed and served until stopped.

Start order: the zygote warms up while the template is read; the AWS endpoint binds first and
answers ``/_lamina/health`` with 503 until the engine (with its warm zygote and its provisioned
environments), the services and the gateway are all up, the file watcher has its watches in place
and the CLI has printed what is served, then 200: nothing of the start is left for the first
requests to wait on. Stop order: stop watching, stop accepting, close
the services, then the engine (which stops every environment).

Hot reload (``watch``): a change to the template, a function's code or requirements, or a layer
is read as a new deployment; functions whose files changed get fresh environments (in-flight
requests finish on the old ones), and the gateway and services switch to the new stack. A
template that no longer loads leaves the previous deployment serving, and the error is noted.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lamina import app, credentials, fastjson
from lamina.app import statelock
from lamina.app.localurls import local_outputs, localiser
from lamina.app.reload import Watcher, touched_functions, watched_roots
from lamina.app.services import DATABASES, build_services, built_services, scaled_clock
from lamina.app.universal import UniversalTargets
from lamina.clock import SYSTEM
from lamina.console.app import Console
from lamina.console.feed import Feed
from lamina.console.figures import MetricsPanel, TracesPanel
from lamina.delivery import Deliveries
from lamina.engine.engine import LocalEngine
from lamina.engine.lambdatarget import LambdaTarget
from lamina.errors import LaminaError
from lamina.gateway.handler import Gateway
from lamina.gateway.routing import URL_PREFIX
from lamina.model import arns
from lamina.model.apis import DEFAULT_STAGE, Api, ApiKind
from lamina.model.lambdas import template_functions
from lamina.model.mappings import EventSourceMapping
from lamina.model.schedules import RULE, ScheduleSpec
from lamina.model.specs import FunctionSpec, Stack, StackOutput
from lamina.net.messages import FileResponse, Request, Response, json_response
from lamina.net.server import Limits, serve
from lamina.observe.api import LogSink
from lamina.observe.console import ConsoleSink, Fanout
from lamina.observe.emf import EmfSink
from lamina.observe.metrics import Metrics
from lamina.observe.otlp import OtlpExport
from lamina.observe.store import LogStore
from lamina.observe.tracing import Tracing
from lamina.services.api import ScheduleOwner, Service
from lamina.services.apigateway.service import ApiGatewayService
from lamina.services.auth.guard import METRICS_PATH, Door, scrape
from lamina.services.cloudwatch.service import CloudWatchService, Sample
from lamina.services.endpoint import Endpoint
from lamina.services.lambda_ import mappings as lambda_mappings
from lamina.services.lambda_.service import LambdaService
from lamina.services.ondemand import OnDemand
from lamina.services.sqs.mappingsource import SqsMessages
from lamina.services.sqs.service import SqsService
from lamina.services.xray.service import Daemon as XRayDaemon
from lamina.services.xray.service import XRayService
from lamina.settings import Settings
from lamina.sources.api import StreamRecords
from lamina.sources.criteria import compile_criteria
from lamina.sources.pollers import Pollers
from lamina.sources.positions import Positions
from lamina.sources.schedules import Firings, Schedules
from lamina.template import find_template, translator

log = logging.getLogger("lamina")
# API Gateway's own payload quota, answered before anything is invoked.
MAX_REQUEST_BYTES = 10 * 1024 * 1024
REQUEST_TOO_LARGE = Response(
    413,
    [("Content-Type", "text/plain; charset=utf-8")],
    b"HTTP content length exceeded 10485760 bytes.",
)
# Lambda's CreateFunction/UpdateFunctionCode quota on a request (a 50 MB zip, base64-encoded).
MAX_SERVICES_REQUEST_BYTES = 69_905_067
SERVICES_REQUEST_TOO_LARGE = Response(
    413,
    [
        ("Content-Type", "application/json"),
        ("x-amzn-ErrorType", "RequestEntityTooLargeException"),
    ],
    b'{"Type":"User","message":"Request must be smaller than 69905067 bytes for the '
    b'CreateFunction operation"}',
)
ACCEPT_ANY_WARNING = (
    "warning: LAMINA_ACCEPT_ANY_CREDENTIALS is on: the AWS endpoint accepts any signature or "
    "none, so anything that can reach it can run code as this user."
)
OPEN_HOST_WARNING = (
    "warning: --host {host} makes the APIs and the AWS endpoint reachable from the network; the "
    "endpoint still requires a signature by Lamina's key pair."
)


@dataclass
class ServedApi:
    """One API as the CLI prints it: where it answers and its routes."""

    logical_id: str
    kind: str
    urls: list[str]
    routes: list[tuple[str, str, str]]


@dataclass
class Served:
    """What is listening where, for the CLI to print."""

    api_url: str
    services_url: str
    functions: list[str] = field(default_factory=list)
    # The template's SNS topics: "LogicalId: arn".
    topics: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    apis: list[ServedApi] = field(default_factory=list)
    # SQS queues the template declares: (logical id, queue URL).
    queues: list[tuple[str, str]] = field(default_factory=list)
    # The key pair the AWS endpoint accepts (also written to the state directory).
    access_key_id: str = ""
    secret_access_key: str = ""
    # Event source mappings, as "source -> function".
    mappings: list[str] = field(default_factory=list)
    # Rules' and Scheduler's schedules, as "name expression".
    schedules: list[str] = field(default_factory=list)
    # API keys (name, value): what a client sends as x-api-key.
    api_keys: list[tuple[str, str]] = field(default_factory=list)
    # The stack's name and its outputs, resolved.
    stack_name: str = ""
    outputs: list[tuple[str, str]] = field(default_factory=list)
    # The template's S3 buckets, by name.
    buckets: list[str] = field(default_factory=list)
    # The web console's address, with its token (opening it is what lets a browser in).
    console_url: str = ""
    # The template's Kinesis streams: "LogicalId: arn".
    streams: list[str] = field(default_factory=list)
    # The template's Step Functions state machines: (logical id, ARN).
    state_machines: list[tuple[str, str]] = field(default_factory=list)
    # Every resource of the template: (type, logical id, physical name), in template order.
    resources: list[tuple[str, str, str]] = field(default_factory=list)
    # The template's EventBridge Pipes, as "name: source -> target".
    pipes: list[str] = field(default_factory=list)


class Lamina:
    def __init__(
        self,
        template: Path,
        settings: Settings,
        parameter_overrides: Mapping[str, str] | None = None,
        note: Callable[[str], None] = lambda _: None,
        *,
        watch: bool = False,
        access_log: Callable[[str], None] | None = None,
        function_log: Callable[[str], None] | None = None,
    ) -> None:
        self.template = find_template(template)
        self.settings = settings
        self.overrides = dict(parameter_overrides or {})
        self.note = note
        self.watch = watch
        self.stack: Stack | None = None
        self.engine: LocalEngine | None = None
        self.log_store: LogStore | None = None
        self.services: list[Service] = []
        self.gateway: Gateway | None = None
        # What services hand each other messages through (queues, topics, functions).
        self.deliveries = Deliveries()
        self.pollers: Pollers | None = None
        self.schedules: Schedules | None = None
        # Tasks started from callbacks (schedule changes), kept until done.
        self._tasks: set[asyncio.Task[None]] = set()
        # The X-Ray daemon's UDP port, and datagram transports to close at stop.
        self._xray_daemon: XRayDaemon | None = None
        # The segments Lamina records itself (built in start: ``settings.tracing``).
        self.tracing: Tracing | None = None
        # Spans to a user's collector (``settings.otlp_endpoint``).
        self.otlp: OtlpExport | None = None
        self._transports: list[asyncio.BaseTransport] = []
        self.reloads = 0
        self._access_log = access_log
        self._function_log = function_log
        self._ready = False
        self._started_at = SYSTEM.monotonic()
        self._servers: list[asyncio.Server] = []
        self._lock: statelock.StateLock | None = None
        # Where the APIs answer here, once their port is open (the outputs name it).
        self._api_url = ""
        self._watcher: Watcher | None = None
        self._watching: asyncio.Task[None] | None = None
        self._reload_lock = asyncio.Lock()
        self._background: set[asyncio.Task[None]] = set()
        # What Lamina measures itself (AWS/Lambda, AWS/ApiGateway): in memory, on by default.
        self.metrics = Metrics()
        self.endpoint = Endpoint(
            [],
            {
                "/_lamina/health": self._health,
                "/_lamina/metrics": self._prometheus,
                METRICS_PATH: self._scrape,
            },
        )
        # The web console: fed every invocation's log, served on the endpoint.
        self.console = Console(self, Feed())
        self.endpoint.routes.update(self.console.routes())

    # -- start / stop ----------------------------------------------------------------------

    async def start(self, announce: Callable[[Served], object] | None = None) -> Served:
        """Deploy and serve; health answers ok from the return on. ``announce`` (the CLI's
        printing of the routes) runs before: anything left to do on the event loop after health
        says ok would be paid by the first requests."""
        settings = self.settings
        # Before any store opens: one process at a time serves a state directory.
        self._lock = statelock.take(settings.state_dir, "lamina up")
        pair = credentials.load_or_create(settings.state_dir)
        try:
            extra = credentials.parse_pairs(settings.credentials)
        except ValueError as exc:
            raise LaminaError(f"LAMINA_CREDENTIALS: {exc}") from exc
        settings = self.settings = settings.with_(
            access_key_id=pair.access_key_id, secret_access_key=pair.secret_access_key
        )
        secrets = {p.access_key_id: p.secret_access_key for p in (pair, *extra)}
        self.endpoint.door = self._door(secrets, settings.services_port)
        zygote = app.launch_zygote(settings)
        limits = _limits(settings, MAX_SERVICES_REQUEST_BYTES, SERVICES_REQUEST_TOO_LARGE)
        # Large S3 uploads stream to disk (up to S3's 5 GB), past the cap other bodies have.
        limits = dataclasses.replace(limits, streamer=self.endpoint.incoming)
        services_server = await serve(
            self.endpoint, settings.host, settings.services_port, limits=limits
        )
        self._servers.append(services_server)
        if settings.services_port == 0:
            # Functions must reach the endpoint on the port it really got.
            endpoint = f"http://{settings.host}:{_port(services_server)}"
            settings = self.settings = settings.with_(services_endpoint=endpoint)
            self.endpoint.door = self._door(secrets, _port(services_server))
        self._lock.describe(
            endpoint=f"http://{_console_host(settings.host)}:{_port(services_server)}"
        )
        loop = asyncio.get_running_loop()
        self.stack = await loop.run_in_executor(
            None,
            lambda: app.load(
                self.template, settings, self.overrides, self.note, translate_elsewhere=True
            ),
        )
        # A translator the CLI started ahead that this template did not need (no SAM
        # transform) would otherwise wait for its input as long as Lamina runs.
        translator.end_ahead()
        if "xray" not in settings.endpoints:
            # Bound before the engine exists: functions are told where it really listens.
            daemon = self._xray_daemon = XRayDaemon()
            transport, _ = await loop.create_datagram_endpoint(
                lambda: daemon, local_addr=("127.0.0.1", settings.xray_daemon_port)
            )
            self._transports.append(transport)
            port = transport.get_extra_info("sockname")[1]
            settings = self.settings = settings.with_(xray_daemon_address=f"127.0.0.1:{port}")
        self.log_store = app.build_log_store(settings)
        terminal = ConsoleSink(self._function_log) if self._function_log is not None else None
        # Embedded Metric Format lines become CloudWatch metrics (once CloudWatch is built).
        emf = EmfSink()
        sink: LogSink = Fanout([terminal, self.log_store, emf, self.console.feed])
        measured = self.metrics if settings.metrics else None
        if measured is not None:
            self.console.add_panel(MetricsPanel(measured))
        if settings.tracing:
            self.tracing = Tracing(reservoir=settings.trace_reservoir, rate=settings.trace_rate)
        if settings.otlp_endpoint:
            self.otlp = OtlpExport(settings.otlp_endpoint)
            if self.tracing is not None:
                self.tracing.sinks.append(self.otlp.recorded)
        self.engine = app.build_engine(
            settings, zygote, log_sink=sink, metrics=measured, tracing=self.tracing
        )
        self.services = build_services(
            self.stack,
            settings,
            self.engine,
            self.log_store,
            self.deliveries,
            self.metrics,
            on_demand=True,
        )
        for service in self.services:
            if isinstance(service, OnDemand):
                service.on_built = self._adopt
        for service in self.services:
            if isinstance(service, XRayService):
                if self._xray_daemon is not None:
                    self._xray_daemon.sink = service.receive_datagram
                self.console.add_panel(TracesPanel(service.traces.recent))
                if self.tracing is not None:
                    self.tracing.sinks.append(service.traces.record)
                if self.otlp is not None:  # what functions' X-Ray SDKs send, exported too
                    service.traces.forward = self.otlp
            if isinstance(service, CloudWatchService):
                emf.write = service.put_emf
                for other in self.services:
                    if isinstance(other, SqsService):
                        service.add_sampler(functools.partial(queue_depths, other))
        for service in built_services(self.services):
            self._add_routes(service)
        # Deployed before the engine starts: start() waits for the provisioned environments.
        await self._deploy(self.stack, set())
        await self.engine.start()
        self.deliveries.serve("lambda", LambdaTarget(self.engine))
        # Scheduler's universal targets: any operation of a service Lamina serves.
        self.deliveries.serve("scheduler", UniversalTargets(self._call_service))
        for service in built_services(self.services):
            # Work a previous run left in flight (Step Functions' executions) resumes now that
            # functions can run.
            resume = getattr(service, "resume", None)
            if callable(resume):
                resume()
        self.pollers = build_pollers(
            settings,
            self.engine,
            self.deliveries,
            self.services,
            self.metrics if settings.metrics else None,
        )
        await run_pipes(settings, self.engine, self.deliveries, self.services)
        self.schedules = build_schedules(settings, self.deliveries)
        await self._link_schedules(self.schedules)
        await self._deploy_sources(self.stack)
        self.endpoint.services = list(self.services)
        self.gateway = Gateway(
            self.engine,
            region=settings.region,
            account_id=settings.account_id,
            access_log=self._access_log,
            secrets=secrets,
            services=self._call_service,
            metrics=self.metrics if settings.metrics else None,
            tracing=self.tracing,
            account_limits=(settings.account_throttle_rate, settings.account_throttle_burst),
        )
        api_server = await serve(
            self.gateway,
            settings.host,
            settings.port,
            limits=_limits(settings, MAX_REQUEST_BYTES, REQUEST_TOO_LARGE),
        )
        self._servers.append(api_server)
        if settings.port == 0:
            # Function URLs created through the API name the port the APIs really got.
            settings = self.settings = settings.with_(port=_port(api_server))
            for service in self.services:
                if isinstance(service, LambdaService):
                    service.registry.settings = settings
        conflicts = self._deploy_gateway(self.stack)
        for service in self.services:
            if isinstance(service, LambdaService):
                service.registry.on_change = self._urls_changed
            if isinstance(service, ApiGatewayService):
                # Keys and plans made through the management API reach the gateway at once;
                # GetUsage reads the gateway's counts.
                service.api.changed = self.gateway.use_keys
                service.api.usage_of = self.gateway.usage
                service.api.flush_cache = self.gateway.flush_stage_cache
                service.api.flush_authorizers = self.gateway.flush_authorizers_cache
                self.gateway.keep_usage(service.api.store.usage(), service.recorder)
        if self.watch:
            await self._start_watching(self.stack)
        api_url = f"http://{settings.host}:{_port(api_server)}"
        self._api_url = f"http://{_console_host(settings.host)}:{_port(api_server)}"
        for service in built_services(self.services):
            self._tell_outputs(service)
        served = Served(
            api_url=api_url,
            services_url=f"http://{settings.host}:{_port(services_server)}",
            functions=sorted(self.stack.functions),
            topics=[f"{t.logical_id}: {t.arn}" for t in self.stack.topics.values()],
            warnings=[
                w
                for w in (
                    *self._exposure_warnings(),
                    self.stack.unsupported_warning(),
                    *self.stack.warnings,
                    *conflicts,
                )
                if w
            ],
            apis=[describe(api, api_url) for api in self.stack.apis],
            queues=_queues(self.stack, settings),
            access_key_id=settings.access_key_id,
            secret_access_key=settings.secret_access_key,
            mappings=[m.describe() for m in self.pollers.mappings] if self.pollers else [],
            schedules=[s.describe() for s in self.schedules.schedules] if self.schedules else [],
            api_keys=[(k.name, k.value) for k in self.stack.api_keys if k.enabled],
            stack_name=self.stack.name,
            outputs=[(o.key, o.value) for o in self._outputs(self.stack)],
            buckets=sorted(b.name for b in self.stack.buckets.values()),
            console_url=self.console.url(
                f"http://{_console_host(settings.host)}:{_port(services_server)}"
            ),
            streams=[
                f"{s.logical_id}: {_stream_arn(s.name, settings)}"
                for s in self.stack.streams.values()
            ],
            state_machines=[
                (
                    m.logical_id,
                    f"arn:aws:states:{settings.region}:{settings.account_id}:stateMachine:{m.name}",
                )
                for m in self.stack.state_machines.values()
            ],
            resources=[(r.type, r.logical_id, r.physical_id) for r in self.stack.resources],
            pipes=[p.describe() for p in self.stack.pipes],
        )
        if announce is not None:
            announce(served)
        self._ready = True
        return served

    async def _adopt(self, service: Service) -> None:
        """What start does for each service, for one built on its first call (``OnDemand``):
        it has no state from before, so nothing to resume."""
        self._add_routes(service)
        self._tell_outputs(service)
        if isinstance(service, ScheduleOwner) and self.schedules is not None:
            await self._link_owner(self.schedules, service)
        if service.name == "pipes" and self.engine is not None:
            await run_pipes(self.settings, self.engine, self.deliveries, [service, *self.services])

    def _add_routes(self, service: Service) -> None:
        # Links a service hands out unsigned (SNS's SubscribeURL) live under /_lamina/.
        routes = getattr(service, "routes", None)
        if routes is not None:
            self.endpoint.routes.update(routes())

    def _tell_outputs(self, service: Service) -> None:
        if service.name == "cloudformation":
            from lamina.services.cloudformation.service import CloudFormationService

            if isinstance(service, CloudFormationService):
                service.view.outputs_for = self._outputs

    async def _call_service(self, service: str, request: Request) -> Response:
        """A REST ``AWS`` integration's request to one of Lamina's services, in process. It
        carries Lamina's own key in a credential scope naming ``service`` (how services know
        their requests); the door is for clients outside, so no signature is computed."""
        settings = self.settings
        day = time.strftime("%Y%m%d", time.gmtime())
        scope = f"{settings.access_key_id}/{day}/{settings.region}/{service}/aws4_request"
        request.headers.append(
            (
                "Authorization",
                f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=0",
            )
        )
        for candidate in self.services:
            if candidate.matches(request):
                answer = await candidate.handle(request)
                if isinstance(answer, FileResponse):  # a large S3 object, read for the caller
                    return await asyncio.to_thread(answer.buffered)
                return answer
        raise LookupError(f"Lamina does not serve {service} yet")

    def _door(self, secrets: Mapping[str, str], port: int) -> Door:
        settings = self.settings
        return Door.build(
            secrets,
            settings.host,
            port,
            origins=settings.allowed_origins,
            accept_any=settings.accept_any_credentials,
        )

    def _exposure_warnings(self) -> list[str]:
        warnings = []
        if self.settings.accept_any_credentials:
            warnings.append(ACCEPT_ANY_WARNING)
        if self.settings.host in ("0.0.0.0", "::", ""):
            warnings.append(OPEN_HOST_WARNING.format(host=self.settings.host or "''"))
        return warnings

    def _outputs(self, stack: Stack) -> tuple[StackOutput, ...]:
        """The stack's outputs as reported here: AWS's address of an API the stack deployed
        reads as the address that API answers on (``app/localurls.py``)."""
        if not self._api_url:
            return stack.outputs
        return local_outputs(stack.outputs, localiser(stack.apis, self._api_url))

    async def close(self) -> None:
        self._ready = False
        # Ends the console's live streams, which would otherwise hold their connections open.
        self.console.close()
        if self._watcher is not None:
            self._watcher.stop()
        if self._watching is not None:
            self._watching.cancel()
            await asyncio.gather(self._watching, return_exceptions=True)
        for server in self._servers:
            server.close()
        for server in self._servers:
            await server.wait_closed()
        for transport in self._transports:
            transport.close()
        # Pollers stop before the services they read close: a closed SQS broker answers a
        # receive at once, and a queue poller spun on it until lamina up was killed.
        if self.pollers is not None:
            await self.pollers.close()
        if self.tracing is not None:  # its last segments stored before X-Ray's store closes
            self.tracing.close()
        if self.otlp is not None:
            self.otlp.close()
        await self.endpoint.close()
        if self.schedules is not None:
            await self.schedules.close()
        if self.engine is not None:
            await self.engine.close()
        if self.log_store is not None:
            self.log_store.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    # -- hot reload ------------------------------------------------------------------------

    async def _start_watching(self, stack: Stack) -> None:
        self._watcher = Watcher(watched_roots(stack), self.settings.state_dir, self.reload)
        self._watching = await self._watcher.start()

    async def reload(self, changed: set[Path]) -> bool:
        """Deploy the template again after ``changed`` files changed; False (and the previous
        deployment still serving) when it cannot be loaded."""
        async with self._reload_lock:
            old = self.stack
            assert old is not None and self.engine is not None and self.gateway is not None
            loop = asyncio.get_running_loop()
            settings = self.settings
            try:
                stack = await loop.run_in_executor(
                    None,
                    lambda: app.load(
                        self.template, settings, self.overrides, self.note, translate_elsewhere=True
                    ),
                )
            except Exception as exc:  # any failure keeps the running deployment
                self.note(f"reload failed, still serving the previous deployment:\n{exc}")
                return False
            recycle = touched_functions(old, changed) | touched_functions(stack, changed)
            await self._deploy(
                stack, {stack.functions[i].name for i in recycle if i in stack.functions}
            )
            for conflict in self._deploy_gateway(stack):
                self.note(conflict)
            await self._deploy_sources(stack)
            self.stack = stack
            self.reloads += 1
            names = ", ".join(sorted(recycle)) or "no function code"
            self.note(f"reloaded ({names} changed)")
            if self._watcher is not None and watched_roots(stack) != watched_roots(old):
                self._watcher.stop()
                await self._start_watching(stack)
            return True

    async def _deploy(self, stack: Stack, recycle: set[str]) -> None:
        """One deployment, one direction: the Lambda registry (the one owner of function state)
        overlays its durable state on the template's functions and deploys the engine once;
        with Lambda external (``--endpoint lambda=URL``) the engine runs the template's
        projection as it is. ``recycle`` names functions whose files changed."""
        assert self.engine is not None
        served = False
        for service in self.services:
            if isinstance(service, LambdaService):
                await service.deploy(stack, recycle)
                served = True
            else:
                await service.deploy(stack)
        if not served:
            await self.engine.deploy(template_functions(stack), recycle)

    async def _deploy_sources(self, stack: Stack) -> None:
        if self.pollers is not None:
            await self.pollers.deploy(self._mappings(stack))
        if self.schedules is not None:
            # Scheduler's schedules, the template's included, are the Scheduler API's to run.
            scheduler = any(
                isinstance(s, ScheduleOwner) and s.schedule_owner == "scheduler"
                for s in built_services(self.services)
            )
            await self.schedules.deploy(
                s for s in stack.schedules if s.kind == RULE or not scheduler
            )

    async def _link_schedules(self, schedules: Schedules) -> None:
        """The schedules the services' APIs make run, each service's set under its name."""
        loop = asyncio.get_running_loop()

        def completed(spec: ScheduleSpec) -> None:
            # The owners now: one built on its first call (``OnDemand``) is told too.
            for owner in built_services(self.services):
                if isinstance(owner, ScheduleOwner):
                    loop.run_in_executor(None, owner.schedule_completed, spec)

        schedules.on_complete = completed
        for owner in built_services(self.services):
            if isinstance(owner, ScheduleOwner):
                await self._link_owner(schedules, owner)

    async def _link_owner(self, schedules: Schedules, owner: ScheduleOwner) -> None:
        """``owner``'s schedules run under its name, now and whenever its API changes them."""
        loop = asyncio.get_running_loop()
        name = owner.schedule_owner

        def reschedule(specs: list[ScheduleSpec]) -> None:
            task = loop.create_task(schedules.deploy(specs, name))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        def changed(specs: list[ScheduleSpec]) -> None:
            loop.call_soon_threadsafe(reschedule, specs)

        owner.on_schedules(changed)
        await schedules.deploy(await asyncio.to_thread(owner.schedule_specs), name)

    def _deploy_gateway(self, stack: Stack) -> list[str]:
        """The gateway serves the template's APIs and the Function URLs the Lambda API holds
        (the registry is their owner); returns the merged port's route conflicts."""
        assert self.gateway is not None
        apis = list(stack.apis)
        # From the owner of function state, API changes included (a Timeout updated through
        # the Lambda API is the one the gateway races).
        functions = template_functions(stack)
        for service in self.services:
            if isinstance(service, LambdaService):
                apis += service.url_apis()
                functions = service.registry.snapshot()
        ids = {name: fn.latest.logical_id for name, fn in functions.items()}
        timeouts = {name: fn.latest.timeout_s for name, fn in functions.items()}
        keys, plans = list(stack.api_keys), list(stack.usage_plans)
        for service in self.services:
            if isinstance(service, ApiGatewayService):
                # The management API owns keys and plans: the template's and its own.
                keys, plans = service.api.keys_and_plans()
        return self.gateway.deploy(apis, ids, timeouts, keys=keys, usage_plans=plans)

    def _mappings(self, stack: Stack) -> list[EventSourceMapping]:
        """From their owner, the Lambda registry (the template's and the API's), else the
        template's (Lambda served elsewhere)."""
        for service in self.services:
            if isinstance(service, LambdaService):
                return lambda_mappings.active(service.registry)
        return list(stack.mappings)

    def _urls_changed(self) -> None:
        if self.stack is not None and self.gateway is not None:
            for conflict in self._deploy_gateway(self.stack):
                self.note(conflict)
        if self.stack is not None and self.pollers is not None:
            # Mappings the API changed: the pollers follow (a task: this is a callback).
            task = asyncio.get_running_loop().create_task(
                self.pollers.deploy(self._mappings(self.stack))
            )
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    # -- what the console reads -------------------------------------------------------------

    def functions(self) -> Mapping[str, FunctionSpec]:
        """Each function's ``$LATEST`` by name, from its owner (the Lambda registry) when
        Lambda is served here, else the template's."""
        for service in self.services:
            if isinstance(service, LambdaService):
                return {name: fn.latest for name, fn in service.registry.snapshot().items()}
        stack = self.stack
        return {name: fn.latest for name, fn in template_functions(stack).items()} if stack else {}

    async def send(self, request: Request) -> Response:
        """A request to the APIs, as their port would receive it (the console's form)."""
        if self.gateway is None:
            return json_response(503, b'{"message":"Lamina is starting"}')
        return await self.gateway(request)

    # -- handlers --------------------------------------------------------------------------

    async def _health(self, request: Request) -> Response:
        if not self._ready or self.stack is None or self.engine is None:
            return json_response(503, b'{"status":"starting"}')
        degraded = self.engine.degraded
        body = {
            "status": "degraded" if degraded else "ok",
            "template": str(self.template),
            "functions": sorted(self.stack.functions),
            "apis": [a.logical_id for a in self.stack.apis],
            "services": [s.name for s in self.services],
            "reloads": self.reloads,
            "zygote_restarts": self.engine.zygote_restarts,
            # The protections functions lack on this host (said once at start too).
            "isolation": {"missing": self.engine.isolation_missing},
            "environments": {
                "live": self.engine.budget.live,
                "limit": self.engine.budget.limit,
            },
            "uptime_s": round(SYSTEM.monotonic() - self._started_at, 3),
        }
        return json_response(503 if degraded else 200, fastjson.dumps(body))

    async def _prometheus(self, request: Request) -> Response:
        # Imported on the first scrape: prometheus_client is 10 MB that most sessions never use.
        from lamina.observe import prometheus

        body = prometheus.exposition(self.metrics)
        return Response(200, [("Content-Type", prometheus.CONTENT_TYPE)], body)

    async def _scrape(self, request: Request) -> Response:
        if not scrape(request):  # a signed request for S3's bucket "metrics"
            return await self.endpoint.to_services(request)
        return await self._prometheus(request)


def queue_depths(sqs: SqsService) -> list[Sample]:
    """AWS/SQS's approximate message counts of every queue (a worker thread's SQL count)."""
    found: list[Sample] = []
    for queue in list(sqs.broker.queues.values()):
        visible, in_flight, delayed = sqs.broker.counts(queue)
        dims = (("QueueName", queue.name),)
        for name, value in (
            ("ApproximateNumberOfMessagesVisible", visible),
            ("ApproximateNumberOfMessagesNotVisible", in_flight),
            ("ApproximateNumberOfMessagesDelayed", delayed),
        ):
            found.append(("AWS/SQS", name, dims, float(value or 0), "Count"))
    return found


def _limits(settings: Settings, max_body: int, too_large: Response) -> Limits:
    """A port's limits: its own body quota, the timeouts both ports share."""
    return Limits(
        max_body=max_body,
        too_large=too_large,
        header_timeout=settings.header_timeout_s,
        idle_timeout=settings.idle_timeout_s,
    )


def _queues(stack: Stack, settings: Settings) -> list[tuple[str, str]]:
    """The template's queues and their URLs, for the banner."""
    endpoint = settings.services_endpoint or f"http://localhost:{settings.services_port}"
    return [
        (spec.logical_id, f"{endpoint}/{settings.account_id}/{spec.name}")
        for spec in stack.queues.values()
    ]


def _stream_arn(name: str, settings: Settings) -> str:
    return arns.arn("kinesis", settings.region, settings.account_id, f"stream/{name}")


def build_pollers(
    settings: Settings,
    engine: LocalEngine,
    deliveries: Deliveries,
    services: list[Service],
    metrics: Metrics | None = None,
) -> Pollers:
    """The event source mappings' pollers, reading the streams and queues served here."""
    queues = None
    for service in services:
        if isinstance(service, SqsService):
            queues = SqsMessages(service.broker, settings.region)
    streams: dict[str, StreamRecords] = {}
    if "dynamodb" not in settings.endpoints:
        # Its name, not the service's module: DynamoDB may be built only when first called.
        from lamina.services.dynamodb.streamreader import DynamoDBStreamRecords

        streams["dynamodb"] = DynamoDBStreamRecords(settings.state_dir / DATABASES["dynamodb"])
    shards = None
    if "kinesis" not in settings.endpoints:
        from lamina.services.kinesis.reader import KinesisShards

        shards = KinesisShards(settings.state_dir, settings.region, settings.account_id)
    positions = Positions(settings.state_dir / "sources.sqlite3")
    return Pollers(
        positions,
        engine,
        deliveries,
        streams,
        settings.region,
        settings.account_id,
        queues=queues,
        shards=shards,
        filters=compile_criteria,
        metrics=metrics,
    )


def _readers(
    settings: Settings, services: list[Service]
) -> tuple[SqsMessages | None, dict[str, StreamRecords]]:
    """The queues and streams served here, as pipes read them (build_pollers' own reading,
    kept apart while its sources grow)."""
    queues = None
    for service in services:
        if isinstance(service, SqsService):
            queues = SqsMessages(service.broker, settings.region)
    streams: dict[str, StreamRecords] = {}
    if "dynamodb" not in settings.endpoints:
        # Its name, not the service's module: DynamoDB may be built only when first called.
        from lamina.services.dynamodb.streamreader import DynamoDBStreamRecords

        streams["dynamodb"] = DynamoDBStreamRecords(settings.state_dir / DATABASES["dynamodb"])
    return queues, streams


async def run_pipes(
    settings: Settings, engine: LocalEngine, deliveries: Deliveries, services: list[Service]
) -> None:
    """EventBridge Pipes run on the same queues and streams as the event source mappings."""
    from lamina.services.pipes.service import PipesService
    from lamina.sources.pipes import PipeRunner

    for service in services:
        if isinstance(service, PipesService):
            queues, streams = _readers(settings, services)
            positions = Positions(settings.state_dir / "pipes-positions.sqlite3")
            runner = PipeRunner(
                engine, deliveries, positions, settings.region, settings.account_id, queues, streams
            )
            await service.run_with(runner)


def build_schedules(settings: Settings, deliveries: Deliveries) -> Schedules:
    """The schedules' runner, on a clock ``LAMINA_CLOCK_RATE`` may speed up."""
    rate, clock = scaled_clock(settings)
    return Schedules(
        Firings(settings.state_dir / "schedules.sqlite3"),
        deliveries,
        settings.account_id,
        settings.region,
        clock=clock,
        rate=rate,
        catch_up=settings.schedule_catch_up,
    )


def describe(api: Api, api_url: str) -> ServedApi:
    """Where ``api`` answers on the merged port (and on its own host and custom domains) and
    its routes."""
    port = api_url.rpartition(":")[2]
    if api.kind is ApiKind.FUNCTION_URL:
        urls = [
            f"http://{api.id}.lambda-url.localhost:{port}/",
            f"{api_url}{URL_PREFIX}{api.function or api.logical_id}/",
        ]
    else:
        urls = []
        for stage in api.stages:
            prefix = "" if stage.name == DEFAULT_STAGE else f"/{stage.name}"
            urls.append(f"{api_url}{prefix}/")
            urls.append(f"http://{api.id}.execute-api.localhost:{port}{prefix}/")
        # Custom domains answer by the Host header on the same port (an /etc/hosts line or
        # curl -H 'Host: ...' reaches them).
        for mapping in api.base_paths:
            base = f"{mapping.base_path}/" if mapping.base_path else ""
            urls.append(f"http://{mapping.domain}:{port}/{base}")
    routes = []
    for route in api.routes:
        integration = route.integration
        target = integration.function or integration.uri or integration.type.value
        routes.append((route.method, route.path, target.rsplit(":function:", 1)[-1]))
    return ServedApi(api.logical_id, api.kind.value, urls, routes)


def _console_host(host: str) -> str:
    """The name a browser reaches the endpoint by (a wildcard address is not one)."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _port(server: asyncio.Server) -> int:
    return int(server.sockets[0].getsockname()[1])
