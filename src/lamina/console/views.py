"""What each view of the console shows, read in process from the owners of the state.

Read-only: functions come from their owner (the Lambda registry, through ``Deployment``), APIs
from the deployed stack, a table's first page from DynamoDB's own ``Scan``, a queue's counts and
messages from SQS's store (a peek: no receive, no visibility change), buses and rules from
EventBridge's store, schedules from the stack, state machines from the Step Functions service
when one is served. Services are found by their ``name`` and read through what each exposes
(DynamoDB's ``operations``, SQS's ``broker``, EventBridge's ``bridge.store``, Step Functions'
``handlers``), so the console imports none of them (nor pays for their import when they are
off); a change to those attributes shows in ``tests/console``.

Every function returns plain JSON-ready values; the page escapes everything it shows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol, cast

from lamina import fastjson
from lamina.console.feed import Feed
from lamina.gateway.routing import URL_PREFIX
from lamina.model.apis import DEFAULT_STAGE, Api, ApiKind
from lamina.model.specs import FunctionSpec, Stack
from lamina.net.messages import Request, Response
from lamina.observe.store import LogStore
from lamina.services.api import Service
from lamina.services.ondemand import OnDemand

# Items of a table's first page, and messages of a queue's peek.
PAGE = 25


class Deployment(Protocol):
    """What the console reads of a running ``lamina up`` (``app.serve.Lamina``)."""

    @property
    def stack(self) -> Stack | None: ...

    @property
    def services(self) -> Sequence[Service]: ...

    @property
    def log_store(self) -> LogStore | None: ...

    def functions(self) -> Mapping[str, FunctionSpec]: ...

    async def send(self, request: Request) -> Response: ...


Operation = Callable[[Mapping[str, Any]], Any]


class _Operated(Protocol):
    """DynamoDB: its operations by name, as the protocol calls them."""

    operations: Mapping[str, Operation]


def service(deployment: Deployment, name: str) -> Service | None:
    """The service called ``name``; None when it is not served, or not yet built (an
    ``OnDemand`` no client has called holds nothing to show)."""
    for candidate in deployment.services:
        if candidate.name == name:
            return candidate.built if isinstance(candidate, OnDemand) else candidate
    return None


def functions(deployment: Deployment, feed: Feed) -> list[dict[str, object]]:
    out = []
    for name, spec in sorted(deployment.functions().items()):
        out.append(
            {
                "name": name,
                "logicalId": spec.logical_id,
                "runtime": spec.runtime,
                "handler": spec.handler,
                "memory": spec.memory_mb,
                "timeout": spec.timeout_s,
                "logGroup": spec.log_group,
                "invocations": [i.document() for i in feed.recent(name)],
            }
        )
    return out


def apis(deployment: Deployment) -> list[dict[str, object]]:
    stack = deployment.stack
    out: list[dict[str, object]] = []
    for api in stack.apis if stack else ():
        stages = [s.name for s in api.stages]
        routes = []
        for route in api.routes:
            integration = route.integration
            target = integration.function or integration.uri or integration.type.value
            routes.append(
                {
                    "method": route.method,
                    "path": route.path,
                    "target": target.rsplit(":function:", 1)[-1],
                }
            )
        out.append(
            {
                "logicalId": api.logical_id,
                "kind": api.kind.value,
                "stages": stages,
                "base": _base(api),
                "routes": routes,
            }
        )
    return out


def _base(api: Api) -> str:
    """The path its routes answer under on the APIs' merged port: a Function URL's prefix, or
    the first stage's (none for ``$default``)."""
    if api.kind is ApiKind.FUNCTION_URL:
        return f"{URL_PREFIX}{api.function or api.logical_id}"
    stage = api.stages[0].name if api.stages else DEFAULT_STAGE
    return "" if stage == DEFAULT_STAGE else f"/{stage}"


def tables(deployment: Deployment) -> list[dict[str, object]]:
    found = service(deployment, "dynamodb")
    if found is None:
        return []
    operations = cast(_Operated, found).operations
    names = operations["ListTables"]({}).get("TableNames", [])
    return [{"name": name} for name in names]


def scan(deployment: Deployment, table: str) -> dict[str, Any]:
    """The table's first page, as DynamoDB's ``Scan`` gives it (typed attribute values)."""
    found = service(deployment, "dynamodb")
    if found is None:
        raise LookupError("DynamoDB is not served here")
    result = cast(_Operated, found).operations["Scan"]({"TableName": table, "Limit": PAGE})
    if isinstance(result, str | bytes):
        # Operations may answer pre-encoded JSON.
        result = fastjson.loads(result)
    return {
        "table": table,
        "items": result.get("Items", []),
        "more": "LastEvaluatedKey" in result,
    }


def queues(deployment: Deployment) -> list[dict[str, object]]:
    found = service(deployment, "sqs")
    if found is None:
        return []
    broker = cast(Any, found).broker
    out = []
    for name in sorted(broker.queues):
        queue = broker.queues[name]
        visible, in_flight, delayed = broker.counts(queue)
        out.append(
            {
                "name": name,
                "url": queue.url,
                "visible": visible,
                "inFlight": in_flight,
                "delayed": delayed,
            }
        )
    return out


def peek(deployment: Deployment, name: str) -> dict[str, object]:
    """The queue's oldest messages, read from the store: nothing is received, and no
    message's visibility or receive count changes."""
    found = service(deployment, "sqs")
    if found is None:
        raise LookupError("SQS is not served here")
    broker = cast(Any, found).broker
    if name not in broker.queues:
        raise LookupError(f"The specified queue {name} does not exist.")
    messages = broker.store.peek(name, PAGE)
    now = broker.clock.wall()
    return {
        "queue": name,
        "messages": [
            {
                "messageId": m.message_id,
                "body": m.body,
                "sent": m.sent,
                "receiveCount": m.receive_count,
                "visible": m.visible_at <= now,
            }
            for m in messages
        ],
    }


def buses(deployment: Deployment) -> list[dict[str, object]]:
    found = service(deployment, "events")
    if found is None:
        return []
    store = cast(Any, found).bridge.store
    out = []
    for bus in sorted(store.buses()):
        rules = []
        for rule_name, doc in sorted(store.rules(bus).items()):
            rules.append(
                {
                    "name": rule_name,
                    "state": doc.get("State", "ENABLED"),
                    "pattern": doc.get("EventPattern"),
                    "schedule": doc.get("ScheduleExpression"),
                    "targets": [t.get("Arn") for t in store.targets(bus, rule_name)],
                }
            )
        out.append({"name": bus, "rules": rules})
    return out


def schedules(deployment: Deployment) -> list[dict[str, object]]:
    stack = deployment.stack
    return [
        {
            "name": s.name,
            "kind": s.kind,
            "expression": s.expression,
            "enabled": s.enabled,
            "targets": [t.arn for t in s.targets],
        }
        for s in (stack.schedules if stack else ())
    ]


async def state_machines(deployment: Deployment) -> dict[str, object]:
    """Step Functions' state machines when the service is served here (another part builds
    it); ``served`` False otherwise, and the page shows a placeholder."""
    found = service(deployment, "stepfunctions")
    if found is None:
        return {"served": False, "machines": []}
    handler = getattr(found, "handlers", {}).get("ListStateMachines")
    if handler is None:
        return {"served": True, "machines": []}
    try:
        result = handler({})
        if isinstance(result, Awaitable):
            result = await result
    except Exception as exc:  # a service still being built must not take the page down
        return {"served": True, "machines": [], "error": str(exc)}
    machines = result.get("stateMachines", []) if isinstance(result, Mapping) else []
    return {
        "served": True,
        "machines": [
            {"name": m.get("name"), "arn": m.get("stateMachineArn"), "type": m.get("type")}
            for m in machines
        ],
    }
