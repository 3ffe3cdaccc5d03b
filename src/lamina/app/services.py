"""The AWS services a deployment serves on the endpoint, built and linked to each other.

``build_services`` returns them in the endpoint's order (also the order they close in: a pipe
stops reading its queue before the queue closes). A service sent to a real backend with
``settings.endpoints`` is not built here. Services that receive messages from others register
in ``deliveries`` (and as the engine's async destinations).

With ``on_demand`` (``lamina up``, ``lamina invoke``), a service the template declares nothing
for and that has no database in the state directory yet is an ``OnDemand``
(``services/ondemand.py``): built on its first call, whether from a client or from another
service's delivery. Most sessions use a few of the nineteen services; the rest cost no
import, no SQLite file and no task. Services with state from an earlier session are built at
start, so what they run by themselves (schedules, deliveries in flight, executions to resume)
runs as before. Built at start whatever the template says: Lambda, the gateway's partners
(API Gateway, CloudWatch, X-Ray, Logs), S3 and SQS, which the start links to the pollers, the
console and each other; and every service when Step Functions is built at start (its tasks
call the others' handlers).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lamina.clock import SYSTEM, Clock, ScaledClock
from lamina.delivery import Deliveries
from lamina.engine.engine import LocalEngine
from lamina.model.schedules import RULE, EventBridgeSpecs
from lamina.model.specs import Stack
from lamina.observe.metrics import Metrics
from lamina.observe.store import LogStore
from lamina.services.api import Service
from lamina.services.ondemand import OnDemand, Routing
from lamina.settings import Settings

# What each service built on demand answers, and its database's name in the state directory
# (a test checks these against the services' own constants without importing them here).
ROUTING = {
    "dynamodb": Routing(("dynamodb", "dynamodbstreams")),
    "ssm": Routing(("ssm",), ("ssm",)),
    "secretsmanager": Routing(("secretsmanager",), ("secretsmanager",)),
    "cloudformation": Routing(("cloudformation",), ("cloudformation",)),
    "sts": Routing(("sts",), ("sts",)),
    "pipes": Routing(("pipes",), ("pipes",)),
    "kinesis": Routing(("kinesis",)),
    "firehose": Routing(("firehose",)),
    "events": Routing(("events",), ("events",)),
    "scheduler": Routing(("scheduler",), ("scheduler",)),
    "sns": Routing(("sns",), ("sns",)),
    "stepfunctions": Routing(("stepfunctions",), ("states",)),
}
DATABASES = {
    "dynamodb": "dynamodb.sqlite3",
    "ssm": "ssm.sqlite3",
    "secretsmanager": "secretsmanager.sqlite3",
    "pipes": "pipes.sqlite3",
    "kinesis": "kinesis.sqlite3",
    "firehose": "firehose.sqlite3",
    "events": "events.sqlite3",
    "scheduler": "scheduler.sqlite3",
    "sns": "sns.sqlite3",
    "stepfunctions": "stepfunctions.sqlite3",
}
# Whether a stack declares resources of a service built on demand.
DECLARES: dict[str, Callable[[Stack], bool]] = {
    "dynamodb": lambda s: bool(s.tables),
    "ssm": lambda s: bool(s.ssm_parameters),
    "secretsmanager": lambda s: bool(s.secrets),
    "cloudformation": lambda s: False,
    "sts": lambda s: False,
    "pipes": lambda s: bool(s.pipes),
    "kinesis": lambda s: bool(s.streams),
    "firehose": lambda s: bool(s.delivery_streams),
    "events": lambda s: (
        bool(s.event_rules)
        or any(x.kind == RULE for x in s.schedules)
        or s.eventbridge != EventBridgeSpecs()
    ),
    "scheduler": lambda s: any(x.kind != RULE for x in s.schedules),
    "sns": lambda s: bool(s.topics or s.subscriptions),
    "stepfunctions": lambda s: bool(s.state_machines or s.activities),
}


def build_services(
    stack: Stack,
    settings: Settings,
    engine: LocalEngine,
    log_store: LogStore,
    deliveries: Deliveries | None = None,
    metrics: Metrics | None = None,
    *,
    on_demand: bool = False,
) -> list[Service]:
    """The AWS services this deployment serves on the endpoint (see the module's doc)."""
    deliveries = deliveries if deliveries is not None else Deliveries()
    services: list[Service] = []
    waiting: list[OnDemand] = []
    state = settings.state_dir
    # Step Functions built at start calls every other service's handlers: none waits then.
    lazy = on_demand and not (
        DECLARES["stepfunctions"](stack) or (state / DATABASES["stepfunctions"]).exists()
    )

    def add(name: str, make: Callable[[], Service], *receives: str) -> None:
        """``make``'s service now, or an ``OnDemand`` for it (receiving, for the services
        named in ``receives``, what is delivered to them until it is built)."""
        database = DATABASES.get(name)
        if not lazy or DECLARES[name](stack) or (database and (state / database).exists()):
            services.append(make())
            return
        needs = list(waiting) if name == "stepfunctions" else []
        deferred = OnDemand(name, ROUTING[name], make, stack, DECLARES[name], needs)
        for kind in receives:
            deliveries.serve(kind, deferred)
            if kind != "states":
                engine.add_destination(kind, deferred)
        waiting.append(deferred)
        services.append(deferred)

    if "lambda" not in settings.endpoints:
        from lamina.services.lambda_.service import LambdaService

        services.append(LambdaService(settings, engine))
    if "dynamodb" not in settings.endpoints:
        add("dynamodb", lambda: _dynamodb(settings))
    if "s3" not in settings.endpoints:
        services.append(_s3(settings, deliveries))
    if "logs" not in settings.endpoints:
        from lamina.services.logs.service import LogsService

        services.append(LogsService(log_store, settings.region, settings.account_id))
    if "ssm" not in settings.endpoints:
        add("ssm", lambda: _ssm(settings))
    if "secretsmanager" not in settings.endpoints:
        add("secretsmanager", lambda: _secrets(settings, engine))
    if "cloudformation" not in settings.endpoints:
        add("cloudformation", lambda: _cloudformation(settings))
    if "sts" not in settings.endpoints:
        from lamina.services.sts.service import sts_service

        add("sts", lambda: sts_service(settings.account_id))
    if "pipes" not in settings.endpoints:
        # Before the queues: services close in this order, and a pipe must stop reading its
        # queue before the queue closes (a closed broker answers every receive at once).
        add("pipes", lambda: _pipes(settings, deliveries))
    if "sqs" not in settings.endpoints:
        services.append(_sqs(settings, engine, deliveries))
    if "kinesis" not in settings.endpoints:
        add("kinesis", lambda: _kinesis(settings))
    if "firehose" not in settings.endpoints:
        built = list(services)  # S3, built above, is where Firehose writes
        add("firehose", lambda: _firehose(settings, engine, built))
    if "events" not in settings.endpoints:
        add("events", lambda: _events(settings, engine, deliveries), "events")
    if "scheduler" not in settings.endpoints:
        add("scheduler", lambda: _scheduler(settings, deliveries))
    if "xray" not in settings.endpoints:
        from lamina.services.xray.service import XRayService

        services.append(XRayService(state))
    if "sns" not in settings.endpoints:
        add("sns", lambda: _sns(settings, engine, deliveries), "sns")
    # Step Functions' service id (as in AWS_ENDPOINT_URL_SFN).
    if "sfn" not in settings.endpoints:
        # Made after the services it needs are ready: its tasks are handed the built ones.
        add(
            "stepfunctions",
            lambda: _step_functions(settings, engine, deliveries, built_services(services)),
            "states",
        )
    if "apigateway" not in settings.endpoints:
        from lamina.services.apigateway.service import ApiGatewayService

        services.append(ApiGatewayService(state, settings.region, settings.account_id))
    if "cloudwatch" not in settings.endpoints:
        from lamina.services.cloudwatch.service import CloudWatchService

        services.append(
            CloudWatchService(
                state,
                metrics if metrics is not None else Metrics(),
                deliveries,
                settings.region,
                settings.account_id,
            )
        )
    return services


def built_services(services: list[Service]) -> list[Service]:
    """The services built so far, each itself rather than the ``OnDemand`` that built it."""
    found: list[Service] = []
    for service in services:
        real = service.built if isinstance(service, OnDemand) else service
        if real is not None:
            found.append(real)
    return found


def scaled_clock(settings: Settings) -> tuple[float, Clock]:
    """The rate ``LAMINA_CLOCK_RATE`` sets (1.0 unless positive) and the clock that runs at
    it: what schedules, S3 lifecycles and Step Functions' waits are timed by."""
    rate = settings.clock_rate if settings.clock_rate > 0 else 1.0
    return rate, ScaledClock(rate) if rate != 1.0 else SYSTEM


def _dynamodb(settings: Settings) -> Service:
    from lamina.services.dynamodb.service import DynamoDBService

    return DynamoDBService(settings.state_dir, settings.region, settings.account_id)


def _s3(settings: Settings, deliveries: Deliveries) -> Service:
    from lamina.services.s3.service import S3Service

    rate, clock = scaled_clock(settings)
    return S3Service(
        settings.state_dir,
        settings.region,
        deliveries,
        settings.account_id,
        clock=clock,
        clock_rate=rate,
    )


def _ssm(settings: Settings) -> Service:
    from lamina.services.ssm.service import SsmService

    return SsmService(settings.state_dir, settings.region, settings.account_id)


def _secrets(settings: Settings, engine: LocalEngine) -> Service:
    from lamina.services.secretsmanager.service import SecretsManagerService

    return SecretsManagerService(
        settings.state_dir, settings.region, settings.account_id, invoker=engine
    )


def _cloudformation(settings: Settings) -> Service:
    from lamina.services.cloudformation.service import CloudFormationService

    return CloudFormationService(settings.region, settings.account_id)


def _pipes(settings: Settings, deliveries: Deliveries) -> Service:
    from lamina.services.pipes.service import PipesService

    return PipesService(settings.state_dir, settings.region, settings.account_id, deliveries.serves)


def _sqs(settings: Settings, engine: LocalEngine, deliveries: Deliveries) -> Service:
    from lamina.services.sqs.service import SqsService

    sqs = SqsService(
        settings.state_dir,
        settings.region,
        settings.account_id,
        settings.services_endpoint or f"http://localhost:{settings.services_port}",
    )
    deliveries.serve("sqs", sqs)
    engine.add_destination("sqs", sqs)
    return sqs


def _kinesis(settings: Settings) -> Service:
    from lamina.services.kinesis.service import KinesisService

    return KinesisService(settings.state_dir, settings.region, settings.account_id)


def _events(settings: Settings, engine: LocalEngine, deliveries: Deliveries) -> Service:
    from lamina.services.events.service import EventsService

    events = EventsService(settings.state_dir, deliveries, settings.region, settings.account_id)
    deliveries.serve("events", events)
    engine.add_destination("events", events)
    return events


def _scheduler(settings: Settings, deliveries: Deliveries) -> Service:
    from lamina.services.scheduler.service import SchedulerService

    return SchedulerService(
        settings.state_dir, settings.region, settings.account_id, deliveries.serves
    )


def _sns(settings: Settings, engine: LocalEngine, deliveries: Deliveries) -> Service:
    from lamina.services.sns.service import SnsService

    sns = SnsService(
        settings.state_dir,
        deliveries,
        settings.region,
        settings.account_id,
        endpoint_url=settings.services_endpoint,
    )
    deliveries.serve("sns", sns)
    engine.add_destination("sns", sns)
    return sns


def _step_functions(
    settings: Settings, engine: LocalEngine, deliveries: Deliveries, services: list[Service]
) -> Service:
    """Step Functions, whose tasks call the other services built here in process."""
    from lamina.services.stepfunctions.service import StepFunctionsService
    from lamina.services.stepfunctions.tasks import Tasks

    tasks = Tasks(engine, settings.region, settings.account_id)
    tasks.serve_services(services)
    rate, clock = scaled_clock(settings)
    states = StepFunctionsService(
        settings.state_dir,
        deliveries,
        tasks,
        settings.region,
        settings.account_id,
        clock=clock,
        rate=rate,
        trace=settings.trace_executions,
        tracing=engine.tracing,
    )
    tasks.serve("stepfunctions", states.handlers)
    deliveries.serve("states", states)
    return states


def _firehose(settings: Settings, engine: LocalEngine, services: list[Service]) -> Service:
    """Firehose, writing to the S3 and reading the Kinesis streams served here."""
    from lamina.services.firehose.service import FirehoseService
    from lamina.services.s3.service import S3Service

    objects = None
    for service in services:
        if isinstance(service, S3Service):
            put = service.handlers["PutObject"]

            def objects(bucket: str, key: str, body: bytes, put: Any = put) -> None:
                put({"Bucket": bucket, "Key": key, "Body": body})

    shards = None
    if "kinesis" not in settings.endpoints:
        from lamina.services.kinesis.reader import KinesisShards

        shards = KinesisShards(settings.state_dir, settings.region, settings.account_id)
    return FirehoseService(
        settings.state_dir,
        settings.region,
        settings.account_id,
        objects=objects,
        invoker=engine,
        shards=shards,
    )
