"""EventBridge on the AWS endpoint (json 1.1, ``X-Amz-Target: AWSEvents.<Operation>``).

Buses (``default`` and custom ones), rules with event patterns (the matcher in
``lamina.patterns``, compiled once per rule), targets, ``PutEvents``, ``TestEventPattern``. An
event matched by a rule is written to the outbox for each of its targets before ``PutEvents``
answers; the courier delivers from there through ``lamina.delivery`` (a function is an
asynchronous invocation, a queue or topic a message), shaping what each target gets with its
``Input``, ``InputPath`` or ``InputTransformer`` (``inputs.py``). A target that refuses is
retried with growing pauses up to its ``RetryPolicy`` (Lamina's default: 5 attempts), then the
event goes to the target's ``DeadLetterConfig`` queue. Rules the template declares are deployed
(and kept in step with it). Rules with a ``ScheduleExpression`` run in ``sources/schedules.py``:
the template's as the template's own, those made through the API as this service's, whose whole
set goes to ``changed`` after every change to a rule or its targets (AWS runs schedules on the
default bus only; a schedule rule on another bus is refused as AWS refuses it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from lamina import fastjson, ids, patterns, timestamps
from lamina.clock import SYSTEM, Clock, wait_for_event
from lamina.delivery import Deliveries, DeliveryError, Message
from lamina.model import arns
from lamina.model.schedules import (
    RULE,
    EventBridgeSpecs,
    EventRuleSpec,
    ScheduleSpec,
    target_from_doc,
)
from lamina.model.specs import Stack
from lamina.schedules.expressions import ScheduleError
from lamina.schedules.expressions import parse as parse_schedule
from lamina.services.events import inputs
from lamina.services.events.apidestinations import ApiDestinations
from lamina.services.events.archives import Archives
from lamina.services.events.errors import (
    InvalidEventPatternException,
    LimitExceededException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
    ValidationException,
)
from lamina.services.events.permissions import Permissions
from lamina.services.events.store import Store
from lamina.services.protocols.service import ModelService

log = logging.getLogger("lamina.events")
DATABASE = "events.sqlite3"
DEFAULT_BUS = "default"
MAX_TARGETS = 5
MAX_ENTRIES_BYTES = 256 * 1024
DEFAULT_ATTEMPTS = 5
_RETRY_FIRST_S = 1.0
Params = dict[str, Any]


# Operations after which rules (and so the pattern index, and the API's schedule rules) may
# have changed.
_CHANGE_RULES = (
    "PutRule",
    "DeleteRule",
    "EnableRule",
    "DisableRule",
    "PutTargets",
    "RemoveTargets",
    "DeleteEventBus",
)


class EventBridge:
    def __init__(self, store: Store, region: str, account_id: str, clock: Clock) -> None:
        self.store = store
        self.region = region
        self.account_id = account_id
        self.clock = clock
        # Compiled patterns by (bus, rule, pattern text).
        self._patterns: dict[tuple[str, str, str], patterns.Pattern] = {}
        # Wakes the courier (set by the service: it lives on the event loop).
        self.wake: Callable[[], None] = lambda: None
        # Each bus's enabled pattern rules and their index, rebuilt after a change to rules;
        # ``_generation`` tells a rebuild that raced a change not to keep what it read.
        self._indexes: dict[str, tuple[dict[str, Params], patterns.PatternIndex[str]]] = {}
        self._generation = 0
        self._index_lock = threading.Lock()
        # Told the API's schedule rules after each change (the schedules runner's ``deploy``).
        self.changed: Callable[[list[ScheduleSpec]], None] | None = None
        store.put_bus(DEFAULT_BUS, clock.wall())
        self.archives = Archives(self)
        self.destinations = ApiDestinations(self)
        self.permissions = Permissions(self)

    def operations(self) -> dict[str, Callable[[Params], Any]]:
        handlers = self._handlers()
        for name in _CHANGE_RULES:
            handlers[name] = self._then_reschedule(handlers[name])
        return handlers

    def _then_reschedule(self, handler: Callable[[Params], Any]) -> Callable[[Params], Any]:
        def changing(params: Params) -> Any:
            try:
                answer = handler(params)
            finally:
                self._rules_changed()
            if self.changed is not None:
                self.changed(self.schedule_specs())
            return answer

        return changing

    def schedule_specs(self) -> list[ScheduleSpec]:
        """The rules with a ``ScheduleExpression`` made through the API, as the runner runs them."""
        specs = []
        for name, doc in self.store.rules(DEFAULT_BUS).items():
            if doc.get("template") or not doc.get("ScheduleExpression"):
                continue
            specs.append(
                ScheduleSpec(
                    kind=RULE,
                    name=name,
                    arn=str(doc["Arn"]),
                    expression=str(doc["ScheduleExpression"]),
                    targets=tuple(
                        target_from_doc(t) for t in self.store.targets(DEFAULT_BUS, name)
                    ),
                    enabled=doc.get("State") == "ENABLED",
                )
            )
        return specs

    def _handlers(self) -> dict[str, Callable[[Params], Any]]:
        return {
            "PutEvents": self.put_events,
            "PutRule": self.put_rule,
            "DescribeRule": self.describe_rule,
            "ListRules": self.list_rules,
            "DeleteRule": self.delete_rule,
            "EnableRule": lambda p: self._state(p, "ENABLED"),
            "DisableRule": lambda p: self._state(p, "DISABLED"),
            "PutTargets": self.put_targets,
            "RemoveTargets": self.remove_targets,
            "ListTargetsByRule": self.list_targets_by_rule,
            "TestEventPattern": self.test_event_pattern,
            "CreateEventBus": self.create_event_bus,
            "DescribeEventBus": self.describe_event_bus,
            "ListEventBuses": self.list_event_buses,
            "DeleteEventBus": self.delete_event_bus,
            **self.archives.operations(),
            **self.destinations.operations(),
            **self.permissions.operations(),
        }

    # -- names -----------------------------------------------------------------------------

    def arn(self, resource: str) -> str:
        return arns.arn("events", self.region, self.account_id, resource)

    def bus_arn(self, bus: str) -> str:
        return arns.arn("events", self.region, self.account_id, f"event-bus/{bus}")

    def rule_arn(self, bus: str, rule: str) -> str:
        resource = f"rule/{rule}" if bus == DEFAULT_BUS else f"rule/{bus}/{rule}"
        return arns.arn("events", self.region, self.account_id, resource)

    def _bus(self, params: Params, key: str = "EventBusName") -> str:
        name = str(params.get(key) or DEFAULT_BUS).rsplit("/", 1)[-1]
        if name not in self.store.buses():
            raise ResourceNotFoundException(f"Event bus {name} does not exist.")
        return name

    def _rule(self, bus: str, name: str) -> Params:
        found = self.store.rules(bus).get(name)
        if found is None:
            raise ResourceNotFoundException(f"Rule {name} does not exist on EventBus {bus}.")
        return found

    # -- buses -----------------------------------------------------------------------------

    def create_event_bus(self, params: Params) -> Params:
        name = str(params["Name"])
        if name in self.store.buses():
            raise ResourceAlreadyExistsException(f"Event bus {name} already exists.")
        self.store.put_bus(name, self.clock.wall())
        if params.get("Tags"):
            self.permissions.tag(self.bus_arn(name), list(params["Tags"]))
        return {"EventBusArn": self.bus_arn(name)}

    def describe_event_bus(self, params: Params) -> Params:
        bus = self._bus(params, "Name")
        found: Params = {
            "Name": bus,
            "Arn": self.bus_arn(bus),
            "CreationTime": self.store.buses()[bus],
        }
        policy = self.permissions.policy(bus)
        if policy is not None:
            found["Policy"] = policy
        return found

    def existing_bus(self, name: str) -> str:
        return self._bus({"EventBusName": name})

    def list_event_buses(self, params: Params) -> Params:
        prefix = str(params.get("NamePrefix") or "")
        return {
            "EventBuses": [
                {"Name": b, "Arn": self.bus_arn(b), "CreationTime": c}
                for b, c in self.store.buses().items()
                if b.startswith(prefix)
            ]
        }

    def delete_event_bus(self, params: Params) -> Params:
        name = str(params["Name"])
        if name == DEFAULT_BUS:
            raise ValidationException("Cannot delete event bus default.")
        self.store.delete_bus(name)
        return {}

    # -- rules -----------------------------------------------------------------------------

    def put_rule(self, params: Params) -> Params:
        bus = self._bus(params)
        name = str(params["Name"])
        pattern = params.get("EventPattern")
        schedule = params.get("ScheduleExpression")
        if not pattern and not schedule:
            raise ValidationException(
                "Parameter(s) EventPattern or ScheduleExpression must be specified."
            )
        if pattern:
            self._compile(bus, name, str(pattern))
        if schedule:
            if bus != DEFAULT_BUS:
                raise ValidationException(
                    "ScheduleExpression is supported only on the default event bus."
                )
            try:
                parse_schedule(str(schedule))
            except ScheduleError:
                raise ValidationException("Parameter ScheduleExpression is not valid.") from None
        with self.store.lock:
            doc = self.store.rules(bus).get(name, {})
            doc.update(
                {
                    "Name": name,
                    "Arn": self.rule_arn(bus, name),
                    "State": params.get("State") or doc.get("State") or "ENABLED",
                    "EventBusName": bus,
                }
            )
            for key in ("EventPattern", "ScheduleExpression", "Description", "RoleArn"):
                if params.get(key) is not None:
                    doc[key] = params[key]
            self.store.put_rule(bus, name, doc)
        return {"RuleArn": doc["Arn"]}

    def describe_rule(self, params: Params) -> Params:
        bus = self._bus(params)
        doc = dict(self._rule(bus, str(params["Name"])))
        doc.pop("template", None)
        doc["CreatedBy"] = self.account_id
        return doc

    def list_rules(self, params: Params) -> Params:
        bus = self._bus(params)
        prefix = str(params.get("NamePrefix") or "")
        rules = []
        for name, doc in self.store.rules(bus).items():
            if name.startswith(prefix):
                shown = dict(doc)
                shown.pop("template", None)
                rules.append(shown)
        return {"Rules": rules}

    def delete_rule(self, params: Params) -> Params:
        bus = self._bus(params)
        name = str(params["Name"])
        if self.store.targets(bus, name) and not params.get("Force"):
            raise ValidationException("Rule can't be deleted since it has targets.")
        self.store.delete_rule(bus, name)
        return {}

    def _state(self, params: Params, state: str) -> Params:
        bus = self._bus(params)
        with self.store.lock:
            doc = self._rule(bus, str(params["Name"]))
            doc["State"] = state
            self.store.put_rule(bus, str(params["Name"]), doc)
        return {}

    # -- targets ---------------------------------------------------------------------------

    def put_targets(self, params: Params) -> Params:
        bus = self._bus(params)
        rule = str(params["Rule"])
        with self.store.lock:
            self._rule(bus, rule)
            current = {t["Id"]: t for t in self.store.targets(bus, rule)}
            new = {str(t["Id"]): t for t in params["Targets"]}
            if len({**current, **new}) > MAX_TARGETS:
                raise LimitExceededException(
                    "The requested resource exceeds the maximum number allowed "
                    f"(targets: {MAX_TARGETS})."
                )
            for target in new.values():
                self.store.put_target(bus, rule, target)
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def remove_targets(self, params: Params) -> Params:
        bus = self._bus(params)
        rule = str(params["Rule"])
        failed = []
        for target_id in params["Ids"]:
            if not self.store.delete_target(bus, rule, str(target_id)):
                failed.append(
                    {
                        "TargetId": target_id,
                        "ErrorCode": "ResourceNotFoundException",
                        "ErrorMessage": f"Target {target_id} does not exist.",
                    }
                )
        return {"FailedEntryCount": len(failed), "FailedEntries": failed}

    def list_targets_by_rule(self, params: Params) -> Params:
        bus = self._bus(params)
        self._rule(bus, str(params["Rule"]))
        return {"Targets": self.store.targets(bus, str(params["Rule"]))}

    # -- events ----------------------------------------------------------------------------

    def test_event_pattern(self, params: Params) -> Params:
        pattern = self._compile(None, None, str(params["EventPattern"]))
        try:
            event = fastjson.loads(str(params["Event"]))
        except ValueError:
            raise ValidationException("Parameter Event is not valid.") from None
        return {"Result": pattern.matches(event)}

    def put_events(self, params: Params) -> Params:
        entries = params["Entries"]
        size = sum(len(fastjson.dumps(e)) for e in entries)
        if size > MAX_ENTRIES_BYTES:
            raise ValidationException("Total size of the entries in the request is over the limit.")
        results = []
        outbox: list[Params] = []
        archived: list[tuple[str, float, str]] = []
        now = self.clock.wall()
        for entry in entries:
            event, error = self._event(entry, now)
            if error is not None:
                results.append(error)
                continue
            assert event is not None
            results.append({"EventId": event["id"]})
            bus = str(entry.get("EventBusName") or DEFAULT_BUS).rsplit("/", 1)[-1]
            matched = self.matched(bus, event)
            if entry.get("TraceHeader"):  # X-Ray's header, carried to every target's delivery
                for doc in matched:
                    doc["trace"] = str(entry["TraceHeader"])
            outbox += matched
            archived += self.archives.archiving(bus, event)
        self.store.enqueue(outbox, now, archived)
        if outbox:
            self.wake()
        failed = sum(1 for r in results if "ErrorCode" in r)
        return {"FailedEntryCount": failed, "Entries": results}

    def _event(self, entry: Params, now: float) -> tuple[Params | None, Params | None]:
        for key in ("Source", "DetailType", "Detail"):
            if not entry.get(key):
                return None, {
                    "ErrorCode": "InvalidArgument",
                    "ErrorMessage": (
                        f"Parameter {key} is not valid. Reason: {key} is a required argument."
                    ),
                }
        try:
            detail = fastjson.loads(str(entry["Detail"]))
        except ValueError:
            detail = None
        if not isinstance(detail, dict):
            return None, {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
        bus = str(entry.get("EventBusName") or DEFAULT_BUS).rsplit("/", 1)[-1]
        if bus not in self.store.buses():
            return None, {
                "ErrorCode": "ResourceNotFoundException",
                "ErrorMessage": f"Event bus {bus} does not exist.",
            }
        when = entry.get("Time")
        stamp = float(when.timestamp()) if when is not None and hasattr(when, "timestamp") else now
        event = {
            "version": "0",
            "id": ids.request_id(),
            "detail-type": str(entry["DetailType"]),
            "source": str(entry["Source"]),
            "account": self.account_id,
            "time": timestamps.iso_seconds(stamp),
            "region": self.region,
            "resources": list(entry.get("Resources") or []),
            "detail": detail,
        }
        return event, None

    def _rules_changed(self) -> None:
        with self._index_lock:
            self._generation += 1
            self._indexes.clear()

    def _index(self, bus: str) -> tuple[dict[str, Params], patterns.PatternIndex[str]]:
        """``bus``'s enabled rules with a pattern, and their index (built once per change)."""
        with self._index_lock:
            found = self._indexes.get(bus)
            generation = self._generation
        if found is not None:
            return found
        rules = {
            name: rule
            for name, rule in self.store.rules(bus).items()
            if rule.get("State") == "ENABLED" and rule.get("EventPattern")
        }
        index: patterns.PatternIndex[str] = patterns.PatternIndex()
        for name, rule in rules.items():
            index.put(name, self._compile(bus, name, str(rule["EventPattern"])))
        with self._index_lock:
            if generation == self._generation:
                self._indexes[bus] = (rules, index)
        return rules, index

    def matched(self, bus: str, event: Params) -> list[Params]:
        out = []
        rules, index = self._index(bus)
        for name in index.matching(event):
            rule = rules[name]
            rule_arn = str(rule["Arn"])
            for target in self.store.targets(bus, name):
                transformer = target.get("InputTransformer")
                try:
                    body = inputs.render(
                        event, rule_arn, target.get("Input"), target.get("InputPath"), transformer
                    )
                except inputs.InputError as exc:
                    log.warning("rule %s target %s: %s", name, target.get("Id"), exc)
                    continue
                retry = target.get("RetryPolicy") or {}
                out.append(
                    {
                        "arn": target["Arn"],
                        "body": body,
                        "rule": rule_arn,
                        "group": (target.get("SqsParameters") or {}).get("MessageGroupId"),
                        "http": target.get("HttpParameters"),
                        "dead_letter": (target.get("DeadLetterConfig") or {}).get("Arn"),
                        "attempts": 0,
                        "max_attempts": int(retry.get("MaximumRetryAttempts", DEFAULT_ATTEMPTS - 1))
                        + 1,
                        "expires": event_time_limit(retry, self.clock.wall()),
                    }
                )
        return out

    def _compile(self, bus: str | None, name: str | None, text: str) -> patterns.Pattern:
        key = (bus or "", name or "", text)
        found = self._patterns.get(key)
        if found is None:
            try:
                found = patterns.parse(text, patterns.EVENTBRIDGE)
            except patterns.PatternError as exc:
                raise InvalidEventPatternException(
                    f"Event pattern is not valid. Reason: {exc}{patterns.located(text, str(exc))}"
                ) from None
            if bus is not None:
                self._patterns[key] = found
        return found

    # -- the template ----------------------------------------------------------------------

    def deploy(self, rules: tuple[EventRuleSpec, ...], others: EventBridgeSpecs) -> None:
        try:
            for bus in others.buses:
                if bus not in self.store.buses():
                    self.store.put_bus(bus, self.clock.wall())
            self._deploy(rules)
            self.archives.deploy(others.archives)
            self.destinations.deploy(others.connections, others.api_destinations)
        finally:
            self._rules_changed()

    def _deploy(self, rules: tuple[EventRuleSpec, ...]) -> None:
        for spec in rules:
            self.store.put_bus(spec.bus, self.clock.wall())
            doc = {
                "Name": spec.name,
                "Arn": self.rule_arn(spec.bus, spec.name),
                "EventPattern": spec.pattern,
                "State": "ENABLED" if spec.enabled else "DISABLED",
                "EventBusName": spec.bus,
                "template": True,
            }
            if spec.description:
                doc["Description"] = spec.description
            self.store.put_rule(spec.bus, spec.name, doc)
            wanted = set()
            for target in spec.targets:
                api: Params = {"Id": target.id or ids.hex_id()[:12], "Arn": target.arn}
                wanted.add(api["Id"])
                if target.input is not None:
                    api["Input"] = target.input
                if target.input_path is not None:
                    api["InputPath"] = target.input_path
                if target.input_transformer is not None:
                    api["InputTransformer"] = fastjson.loads(target.input_transformer)
                if target.dead_letter:
                    api["DeadLetterConfig"] = {"Arn": target.dead_letter}
                if target.maximum_retry_attempts is not None:
                    api["RetryPolicy"] = {"MaximumRetryAttempts": target.maximum_retry_attempts}
                if target.message_group_id:
                    api["SqsParameters"] = {"MessageGroupId": target.message_group_id}
                if target.http_parameters is not None:
                    api["HttpParameters"] = fastjson.loads(target.http_parameters)
                self.store.put_target(spec.bus, spec.name, api)
            for existing in self.store.targets(spec.bus, spec.name):
                if existing["Id"] not in wanted:
                    self.store.delete_target(spec.bus, spec.name, str(existing["Id"]))


def event_time_limit(retry: Params, now: float) -> float:
    return now + float(retry.get("MaximumEventAgeInSeconds", 86_400))


class EventsService(ModelService):
    def __init__(
        self,
        state_dir: Path,
        deliveries: Deliveries,
        region: str,
        account_id: str,
        clock: Clock = SYSTEM,
        retry_first_s: float = _RETRY_FIRST_S,
    ) -> None:
        self.bridge = EventBridge(Store(state_dir / DATABASE), region, account_id, clock)
        self.deliveries = deliveries
        self.clock = clock
        self.retry_first_s = retry_first_s
        self._wakeup = asyncio.Event()
        self._courier: asyncio.Task[None] | None = None
        super().__init__("events", self.bridge.operations())

    # -- ScheduleOwner -----------------------------------------------------------------------

    schedule_owner = "events"

    def schedule_specs(self) -> list[ScheduleSpec]:
        return self.bridge.schedule_specs()

    def on_schedules(self, changed: Callable[[list[ScheduleSpec]], None]) -> None:
        self.bridge.changed = changed

    def schedule_completed(self, spec: ScheduleSpec) -> None:
        """A rule's schedule never ends (``rate`` and ``cron`` only)."""

    async def deploy(self, stack: Stack) -> None:
        loop = asyncio.get_running_loop()

        def wake() -> None:
            loop.call_soon_threadsafe(self._wakeup.set)

        self.bridge.wake = wake
        await asyncio.to_thread(self.bridge.deploy, stack.event_rules, stack.eventbridge)
        if self._courier is None:
            self._courier = loop.create_task(self._deliver_forever())

    async def close(self) -> None:
        if self._courier is not None:
            self._courier.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._courier
        self.bridge.store.close()

    # -- delivery ----------------------------------------------------------------------------

    async def send(self, arn: str, body: bytes, attributes: Mapping[str, str]) -> None:
        """The engine's DestinationSink: an asynchronous invocation's record onto the bus
        ``arn``, as Lambda puts it there (``"source": "lambda"``, ``detail-type`` "Lambda
        Function Invocation Result - Success" or "- Failure", the record as ``detail``)."""
        record = fastjson.loads(body)
        context = record.get("requestContext") or {}
        outcome = "Success" if context.get("condition") == "Success" else "Failure"
        entry = {
            "Source": "lambda",
            "DetailType": f"Lambda Function Invocation Result - {outcome}",
            "Detail": body.decode(),
            "Resources": [arn, str(context.get("functionArn", ""))],
            "EventBusName": arn.rsplit("/", 1)[-1],
        }
        answer = await asyncio.to_thread(self.bridge.put_events, {"Entries": [entry]})
        if answer["FailedEntryCount"]:
            raise DeliveryError(str(answer["Entries"][0].get("ErrorMessage")))

    async def deliver(self, arn: str, message: Message) -> None:
        """An event bus as a target (another bus, a rule's target): the message is an event."""
        bus = arn.rsplit("/", 1)[-1]
        detail = message.body
        entry: Params = {
            "Source": "lamina.forwarded",
            "DetailType": "Event",
            "Detail": detail,
            "EventBusName": bus,
        }
        try:
            event = fastjson.loads(detail)
            if isinstance(event, dict) and "detail-type" in event:
                entry = {
                    "Source": event.get("source", "unknown"),
                    "DetailType": event["detail-type"],
                    "Detail": fastjson.dumps_text(event.get("detail", {})),
                    "Resources": list(event.get("resources") or []),
                    "EventBusName": bus,
                }
        except ValueError:
            pass
        if message.trace_header:
            entry["TraceHeader"] = message.trace_header
        answer = await asyncio.to_thread(self.bridge.put_events, {"Entries": [entry]})
        if answer["FailedEntryCount"]:
            raise DeliveryError(str(answer["Entries"][0].get("ErrorMessage")))

    async def _deliver_forever(self) -> None:
        store = self.bridge.store
        while True:
            try:
                pending = await asyncio.to_thread(store.due, self.clock.wall())
                for item in pending:
                    await self._one(item.seq, item.doc)
                if pending:
                    continue
                upcoming = await asyncio.to_thread(store.next_due)
                wait = 3600.0 if upcoming is None else max(0.0, upcoming - self.clock.wall())
                self._wakeup.clear()
                await wait_for_event(self._wakeup, min(wait, 60.0))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("EventBridge delivery failed; retrying")
                await asyncio.sleep(1.0)

    async def _one(self, seq: int, doc: Params) -> None:
        store = self.bridge.store
        message = Message(
            doc["body"],
            group_id=doc.get("group"),
            source_arn=doc.get("rule"),
            trace_header=doc.get("trace"),
        )
        try:
            if ":api-destination/" in doc["arn"]:
                destinations = self.bridge.destinations
                await asyncio.to_thread(destinations.call, doc["arn"], doc["body"], doc.get("http"))
            else:
                await self.deliveries.deliver(doc["arn"], message)
        except DeliveryError as exc:
            doc["attempts"] = int(doc.get("attempts", 0)) + 1
            now = self.clock.wall()
            if doc["attempts"] < int(doc.get("max_attempts", DEFAULT_ATTEMPTS)) and now < float(
                doc.get("expires", now + 1)
            ):
                pause = self.retry_first_s * 2 ** (doc["attempts"] - 1)
                await asyncio.to_thread(store.later, seq, doc, now + pause)
                return
            await self._dead_letter(doc, exc)
        await asyncio.to_thread(store.done, seq)

    async def _dead_letter(self, doc: Params, exc: DeliveryError) -> None:
        target = doc.get("dead_letter")
        if not target:
            log.warning(
                "event for %s dropped after %s attempts: %s", doc["arn"], doc["attempts"], exc
            )
            return
        try:
            await self.deliveries.deliver(
                str(target), Message(doc["body"], source_arn=doc.get("rule"))
            )
        except DeliveryError as again:
            log.warning(
                "event for %s and its dead-letter queue %s not delivered: %s",
                doc["arn"],
                target,
                again,
            )
