"""EventBridge Scheduler on the AWS endpoint (rest-json: ``/schedules/{Name}``,
``/schedule-groups/{Name}``, ``/tags/{ResourceArn}``).

Schedules live in schedule groups (``default`` always exists; deleting a group deletes its
schedules). Each enabled schedule runs in ``sources/schedules.py``: the service hands the whole
set it owns to ``changed`` after every change, and the runner fires each target at its times
with the schedule's ``Input`` (Scheduler's targets get exactly that text). A target is what
``lamina.delivery`` reaches: a Lambda function (invoked asynchronously), an SQS queue
(``SqsParameters.MessageGroupId`` for FIFO), an SNS topic or an event bus (with
``EventBridgeParameters``' ``DetailType`` and ``Source``) or a universal target
(``arn:aws:scheduler:::aws-sdk:SERVICE:ACTION``, its Input the action's parameters, sent to
Lamina's own service: ``app/universal.py``); anything else is refused on create, naming it,
rather than accepted and never run. ``FlexibleTimeWindow`` is accepted and honoured by firing at the
scheduled time, the window's first moment. ``ActionAfterCompletion: DELETE`` deletes a schedule
after its last time (an ``at()`` once it fired, any schedule past its ``EndDate``).

The template's ``AWS::Scheduler::Schedule`` resources are written here at deploy (a deploy
writes back what the API changed in them, and deletes those the template dropped), so the API
shows, changes and deletes them, and this service is the one owner of every Scheduler schedule
that runs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from lamina import fastjson
from lamina.clock import SYSTEM, Clock
from lamina.model import arns
from lamina.model.schedules import SCHEDULE, ScheduleSpec, target_from_doc
from lamina.model.specs import Stack
from lamina.schedules.expressions import ScheduleError, parse
from lamina.services.lambda_.pagination import paginate
from lamina.services.protocols.service import ModelService
from lamina.services.scheduler.errors import (
    ConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from lamina.services.scheduler.store import Doc, Store

DATABASE = "scheduler.sqlite3"
DEFAULT_GROUP = "default"
_NAME = re.compile(r"^[0-9a-zA-Z\-_.]{1,64}$")
_SCHEDULE_FIELDS = (
    "ActionAfterCompletion",
    "Description",
    "FlexibleTimeWindow",
    "KmsKeyArn",
    "ScheduleExpression",
    "ScheduleExpressionTimezone",
    "State",
    "Target",
)
Params = dict[str, Any]


class Scheduler:
    def __init__(
        self,
        store: Store,
        region: str,
        account_id: str,
        clock: Clock,
        delivers: Callable[[str], bool],
    ) -> None:
        self.store = store
        self.region = region
        self.account_id = account_id
        self.clock = clock
        self.delivers = delivers
        # Told the API's whole set of schedules after each change (the runner's ``deploy``).
        self.changed: Callable[[list[ScheduleSpec]], None] | None = None
        with store.lock:
            if store.group(DEFAULT_GROUP) is None:
                store.put_group(self._group_doc(DEFAULT_GROUP))

    def operations(self) -> dict[str, Callable[[Params], Any]]:
        return {
            "CreateSchedule": self.create_schedule,
            "UpdateSchedule": self.update_schedule,
            "GetSchedule": self.get_schedule,
            "DeleteSchedule": self.delete_schedule,
            "ListSchedules": self.list_schedules,
            "CreateScheduleGroup": self.create_schedule_group,
            "GetScheduleGroup": self.get_schedule_group,
            "DeleteScheduleGroup": self.delete_schedule_group,
            "ListScheduleGroups": self.list_schedule_groups,
            "TagResource": self.tag_resource,
            "UntagResource": self.untag_resource,
            "ListTagsForResource": self.list_tags_for_resource,
        }

    def schedule_arn(self, group: str, name: str) -> str:
        return arns.arn("scheduler", self.region, self.account_id, f"schedule/{group}/{name}")

    def group_arn(self, name: str) -> str:
        return arns.arn("scheduler", self.region, self.account_id, f"schedule-group/{name}")

    # -- schedules ---------------------------------------------------------------------------

    def create_schedule(self, params: Params) -> Params:
        with self.store.lock:
            group, name = self._names(params)
            if self.store.schedule(group, name) is not None:
                raise ConflictException(f"Schedule {name} already exists.")
            doc = self._schedule_doc(params, group, name, None)
            self.store.put_schedule(doc)
        self._changed()
        return {"ScheduleArn": doc["Arn"]}

    def update_schedule(self, params: Params) -> Params:
        with self.store.lock:
            group, name = self._names(params)
            old = self._schedule(group, name)
            doc = self._schedule_doc(params, group, name, old)
            self.store.put_schedule(doc)
        self._changed()
        return {"ScheduleArn": doc["Arn"]}

    def get_schedule(self, params: Params) -> Params:
        group = str(params.get("GroupName") or DEFAULT_GROUP)
        doc = self._schedule(group, str(params["Name"]))
        doc.pop("template", None)
        return doc

    def delete_schedule(self, params: Params) -> Params:
        group = str(params.get("GroupName") or DEFAULT_GROUP)
        name = str(params["Name"])
        with self.store.lock:
            self._group(group)
            if not self.store.delete_schedule(group, name):
                raise ResourceNotFoundException(f"Schedule {name} does not exist.")
        self._changed()
        return {}

    def list_schedules(self, params: Params) -> Params:
        group = params.get("GroupName")
        if group is not None:
            self._group(str(group))
        prefix = str(params.get("NamePrefix") or "")
        state = params.get("State")
        found = [
            {
                "Arn": d["Arn"],
                "CreationDate": d["CreationDate"],
                "GroupName": d["GroupName"],
                "LastModificationDate": d["LastModificationDate"],
                "Name": d["Name"],
                "State": d["State"],
                "Target": {"Arn": d["Target"]["Arn"]},
            }
            for d in self.store.schedules(None if group is None else str(group))
            if d["Name"].startswith(prefix) and (state is None or d["State"] == state)
        ]
        page, token = paginate(found, params.get("NextToken"), params.get("MaxResults"), 100)
        return {"Schedules": page, **({"NextToken": token} if token else {})}

    # -- groups ------------------------------------------------------------------------------

    def create_schedule_group(self, params: Params) -> Params:
        name = str(params["Name"])
        if not _NAME.match(name):
            raise ValidationException(f"Invalid schedule group name {name}.")
        with self.store.lock:
            if self.store.group(name) is not None:
                raise ConflictException(f"Schedule group {name} already exists.")
            doc = self._group_doc(name)
            self.store.put_group(doc)
            tags = params.get("Tags") or []
            self.store.tag(doc["Arn"], {str(t["Key"]): str(t["Value"]) for t in tags})
        return {"ScheduleGroupArn": doc["Arn"]}

    def get_schedule_group(self, params: Params) -> Params:
        return self._group(str(params["Name"]))

    def delete_schedule_group(self, params: Params) -> Params:
        name = str(params["Name"])
        if name == DEFAULT_GROUP:
            raise ValidationException("Cannot delete the default schedule group.")
        with self.store.lock:
            doc = self._group(name)
            self.store.delete_group(name, doc["Arn"])
        self._changed()
        return {}

    def list_schedule_groups(self, params: Params) -> Params:
        prefix = str(params.get("NamePrefix") or "")
        found = [g for g in self.store.groups() if g["Name"].startswith(prefix)]
        page, token = paginate(found, params.get("NextToken"), params.get("MaxResults"), 100)
        return {"ScheduleGroups": page, **({"NextToken": token} if token else {})}

    # -- tags (schedule groups carry them) ---------------------------------------------------

    def tag_resource(self, params: Params) -> Params:
        arn = self._tagged(str(params["ResourceArn"]))
        self.store.tag(arn, {str(t["Key"]): str(t["Value"]) for t in params["Tags"]})
        return {}

    def untag_resource(self, params: Params) -> Params:
        arn = self._tagged(str(params["ResourceArn"]))
        self.store.untag(arn, [str(k) for k in params["TagKeys"]])
        return {}

    def list_tags_for_resource(self, params: Params) -> Params:
        arn = self._tagged(str(params["ResourceArn"]))
        return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(self.store.tags(arn).items())]}

    def _tagged(self, arn: str) -> str:
        if arn.startswith(self.group_arn("")):
            self._group(arn.rsplit("/", 1)[-1])
            return arn
        raise ResourceNotFoundException(f"Resource {arn} does not exist.")

    # -- what runs ---------------------------------------------------------------------------

    def specs(self) -> list[ScheduleSpec]:
        """Every schedule, as the runner runs them."""
        return [_spec(d) for d in self.store.schedules()]

    def completed(self, spec: ScheduleSpec) -> None:
        """``spec`` has no time left: delete it if its ``ActionAfterCompletion`` says so."""
        group, name = spec.arn.split(":schedule/", 1)[1].split("/", 1)
        with self.store.lock:
            doc = self.store.schedule(group, name)
            if doc is None or doc.get("ActionAfterCompletion") != "DELETE":
                return
            self.store.delete_schedule(group, name)
        self._changed()

    def deploy(self, specs: Iterable[ScheduleSpec]) -> None:
        """Write the template's schedules and delete those it dropped."""
        now = self.clock.wall()
        wanted: set[tuple[str, str]] = set()
        with self.store.lock:
            for spec in specs:
                if spec.kind != SCHEDULE:
                    continue
                group = spec.arn.split(":schedule/", 1)[1].split("/", 1)[0]
                wanted.add((group, spec.name))
                if self.store.group(group) is None:
                    self.store.put_group(self._group_doc(group))
                old = self.store.schedule(group, spec.name)
                self.store.put_schedule(_template_doc(spec, group, now, old))
            for doc in self.store.schedules():
                if doc.get("template") and (doc["GroupName"], doc["Name"]) not in wanted:
                    self.store.delete_schedule(doc["GroupName"], doc["Name"])
        self._changed()

    def _changed(self) -> None:
        if self.changed is not None:
            self.changed(self.specs())

    # -- helpers -----------------------------------------------------------------------------

    def _names(self, params: Params) -> tuple[str, str]:
        group = str(params.get("GroupName") or DEFAULT_GROUP)
        name = str(params["Name"])
        if not _NAME.match(name):
            raise ValidationException(f"Invalid schedule name {name}.")
        self._group(group)
        return group, name

    def _group(self, name: str) -> Doc:
        doc = self.store.group(name)
        if doc is None:
            raise ResourceNotFoundException(f"Schedule group {name} does not exist.")
        return doc

    def _schedule(self, group: str, name: str) -> Doc:
        self._group(group)
        doc = self.store.schedule(group, name)
        if doc is None:
            raise ResourceNotFoundException(f"Schedule {name} does not exist.")
        return doc

    def _group_doc(self, name: str) -> Doc:
        now = self.clock.wall()
        return {
            "Arn": self.group_arn(name),
            "CreationDate": now,
            "LastModificationDate": now,
            "Name": name,
            "State": "ACTIVE",
        }

    def _schedule_doc(self, params: Params, group: str, name: str, old: Doc | None) -> Doc:
        expression = str(params["ScheduleExpression"])
        zone = params.get("ScheduleExpressionTimezone")
        try:
            parse(expression, str(zone) if zone else None)
        except ScheduleError as exc:
            raise ValidationException(f"Invalid Schedule Expression {expression}: {exc}.") from None
        window = dict(params["FlexibleTimeWindow"])
        if window.get("Mode") == "FLEXIBLE" and not window.get("MaximumWindowInMinutes"):
            raise ValidationException(
                "MaximumWindowInMinutes must be provided when FlexibleTimeWindow Mode is FLEXIBLE."
            )
        target = dict(params["Target"])
        if not self.delivers(str(target["Arn"])):
            raise ValidationException(
                f"Lamina does not deliver to this target yet: {target['Arn']} (it delivers to "
                "Lambda functions, SQS queues, SNS topics, event buses and universal targets "
                "arn:aws:scheduler:::aws-sdk:SERVICE:ACTION)"
            )
        now = self.clock.wall()
        doc: Doc = {
            "Arn": self.schedule_arn(group, name),
            "Name": name,
            "GroupName": group,
            "CreationDate": old["CreationDate"] if old else now,
            "LastModificationDate": now,
            "State": params.get("State") or "ENABLED",
        }
        for key in _SCHEDULE_FIELDS:
            if params.get(key) is not None and key not in doc:
                doc[key] = params[key]
        for key in ("StartDate", "EndDate"):
            if isinstance(params.get(key), dt.datetime):
                doc[key] = params[key].timestamp()
        start, end = doc.get("StartDate"), doc.get("EndDate")
        if start is not None and end is not None and end <= start:
            raise ValidationException("The EndDate must be after the StartDate.")
        return doc


def _spec(doc: Doc) -> ScheduleSpec:
    target = dict(doc["Target"])
    bridge = target.get("EventBridgeParameters")
    if isinstance(bridge, dict):
        # What the bus puts: an event with the schedule's source and detail-type, the Input
        # as its detail.
        detail = fastjson.loads(target["Input"]) if target.get("Input") else {}
        target["Input"] = fastjson.dumps_text(
            {
                "source": bridge.get("Source"),
                "detail-type": bridge.get("DetailType"),
                "detail": detail,
            }
        )
    zone = doc.get("ScheduleExpressionTimezone")
    return ScheduleSpec(
        kind=SCHEDULE,
        name=str(doc["Name"]),
        arn=str(doc["Arn"]),
        expression=str(doc["ScheduleExpression"]),
        targets=(target_from_doc(target),),
        enabled=doc.get("State", "ENABLED") == "ENABLED",
        timezone=str(zone) if zone else None,
        start=doc.get("StartDate"),
        end=doc.get("EndDate"),
    )


def _template_doc(spec: ScheduleSpec, group: str, now: float, old: Doc | None) -> Doc:
    target = spec.targets[0]
    doc: Doc = {
        "Arn": spec.arn,
        "Name": spec.name,
        "GroupName": group,
        "CreationDate": old["CreationDate"] if old else now,
        "LastModificationDate": now,
        "State": "ENABLED" if spec.enabled else "DISABLED",
        "ScheduleExpression": spec.expression,
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": {"Arn": target.arn, "RoleArn": ""},
        "template": True,
    }
    if spec.timezone:
        doc["ScheduleExpressionTimezone"] = spec.timezone
    if target.input is not None:
        doc["Target"]["Input"] = target.input
    if target.dead_letter:
        doc["Target"]["DeadLetterConfig"] = {"Arn": target.dead_letter}
    if target.message_group_id:
        doc["Target"]["SqsParameters"] = {"MessageGroupId": target.message_group_id}
    retry = {
        "MaximumRetryAttempts": target.maximum_retry_attempts,
        "MaximumEventAgeInSeconds": target.maximum_event_age_s,
    }
    if any(v is not None for v in retry.values()):
        doc["Target"]["RetryPolicy"] = {k: v for k, v in retry.items() if v is not None}
    if spec.start is not None:
        doc["StartDate"] = spec.start
    if spec.end is not None:
        doc["EndDate"] = spec.end
    return doc


class SchedulerService(ModelService):
    """The store on ``state_dir`` behind the model's seam."""

    def __init__(
        self,
        state_dir: Path,
        region: str,
        account_id: str,
        delivers: Callable[[str], bool],
        clock: Clock = SYSTEM,
    ) -> None:
        self.api = Scheduler(Store(state_dir / DATABASE), region, account_id, clock, delivers)
        super().__init__("scheduler", self.api.operations())

    # -- ScheduleOwner -----------------------------------------------------------------------

    schedule_owner = "scheduler"

    def schedule_specs(self) -> list[ScheduleSpec]:
        return self.api.specs()

    def on_schedules(self, changed: Callable[[list[ScheduleSpec]], None]) -> None:
        self.api.changed = changed

    def schedule_completed(self, spec: ScheduleSpec) -> None:
        self.api.completed(spec)

    async def deploy(self, stack: Stack) -> None:
        await asyncio.to_thread(self.api.deploy, stack.schedules)

    async def close(self) -> None:
        self.api.store.close()
