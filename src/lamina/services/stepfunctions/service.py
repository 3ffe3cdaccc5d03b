"""Step Functions on the AWS endpoint (json 1.0, ``X-Amz-Target: AWSStepFunctions.<Operation>``).

State machines (``Create/Describe/Update/Delete/ListStateMachines``, definitions checked with
``lamina.states.parse`` and refused with AWS's ``InvalidDefinition``), activities, tags, and
executions: ``StartExecution`` (a name given twice with the same input while the first runs
answers the first; otherwise ``ExecutionAlreadyExists``), ``StartSyncExecution`` (Express),
``Describe/Stop/ListExecutions``, ``GetExecutionHistory``, ``DescribeStateMachineForExecution``,
and the task tokens' ``SendTaskSuccess/Failure/Heartbeat`` and ``GetActivityTask``. Versions
(``PublishStateMachineVersion``, ``publish`` on Create/Update, ``List/DeleteStateMachineVersions``):
a version ARN (``...:stateMachine:NAME:N``) names a frozen revision, which ``DescribeStateMachine``
shows and ``StartExecution`` runs (the execution records ``stateMachineVersionArn``). Aliases
(``Create/Describe/Update/Delete/ListStateMachineAliases``) route ``StartExecution`` by alias ARN
(``...:stateMachine:NAME:ALIAS``) to one of their one or two versions by weight.
``RedriveExecution`` resumes a FAILED, TIMED_OUT or ABORTED Standard execution from the state
it stopped in. Running them is the ``Executor``'s (``executor.py``); this module owns the API's
shapes and checks.

A Standard execution is written to the store before ``StartExecution`` answers, and survives
a restart (the executor resumes it). Express executions live in memory only, as AWS keeps no
history of them: ``DescribeExecution`` and ``GetExecutionHistory`` refuse their ARNs.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lamina import fastjson, ids
from lamina.clock import SYSTEM, Clock
from lamina.delivery import Deliveries, DeliveryError, Message
from lamina.model.specs import Stack
from lamina.observe.tracing import Tracing
from lamina.services.protocols.service import ModelService
from lamina.services.stepfunctions import definitions, teststate
from lamina.services.stepfunctions.errors import (
    ActivityDoesNotExist,
    ConflictException,
    ExecutionAlreadyExists,
    ExecutionNotRedrivable,
    InvalidExecutionInput,
    InvalidOutput,
    InvalidToken,
    MissingRequiredParameter,
    ResourceNotFound,
    StateMachineAlreadyExists,
    StateMachineTypeNotSupported,
    ValidationException,
    execution_missing,
    invalid_arn,
    machine_missing,
)
from lamina.services.stepfunctions.executor import Executor
from lamina.services.stepfunctions.names import Names, check_name, resource
from lamina.services.stepfunctions.store import Doc, Store
from lamina.services.stepfunctions.tasks import Tasks

log = logging.getLogger("lamina.stepfunctions")
DATABASE = "stepfunctions.sqlite3"
MAX_INPUT_BYTES = 256 * 1024
DEFAULT_PAGE = 100
Params = dict[str, Any]


class StepFunctions:
    """The API's handlers over the store and the executor."""

    def __init__(self, store: Store, executor: Executor, names: Names, clock: Clock) -> None:
        self.store = store
        self.executor = executor
        self.names = names
        self.clock = clock

    def operations(self) -> dict[str, Callable[[Params], Any]]:
        return {
            "CreateStateMachine": self.create_state_machine,
            "DescribeStateMachine": self.describe_state_machine,
            "UpdateStateMachine": self.update_state_machine,
            "DeleteStateMachine": self.delete_state_machine,
            "ListStateMachines": self.list_state_machines,
            "PublishStateMachineVersion": self.publish_state_machine_version,
            "ListStateMachineVersions": self.list_state_machine_versions,
            "DeleteStateMachineVersion": self.delete_state_machine_version,
            "CreateStateMachineAlias": self.create_state_machine_alias,
            "DescribeStateMachineAlias": self.describe_state_machine_alias,
            "UpdateStateMachineAlias": self.update_state_machine_alias,
            "DeleteStateMachineAlias": self.delete_state_machine_alias,
            "ListStateMachineAliases": self.list_state_machine_aliases,
            "StartExecution": self.start_execution,
            "StartSyncExecution": self.start_sync_execution,
            "DescribeExecution": self.describe_execution,
            "StopExecution": self.stop_execution,
            "RedriveExecution": self.redrive_execution,
            "TestState": self.test_state,
            "DescribeMapRun": self.describe_map_run,
            "ListMapRuns": self.list_map_runs,
            "UpdateMapRun": self.update_map_run,
            "ListExecutions": self.list_executions,
            "GetExecutionHistory": self.get_execution_history,
            "DescribeStateMachineForExecution": self.describe_state_machine_for_execution,
            "TagResource": self.tag_resource,
            "UntagResource": self.untag_resource,
            "ListTagsForResource": self.list_tags_for_resource,
            "CreateActivity": self.create_activity,
            "DescribeActivity": self.describe_activity,
            "DeleteActivity": self.delete_activity,
            "ListActivities": self.list_activities,
            "GetActivityTask": self.get_activity_task,
            "SendTaskSuccess": self.send_task_success,
            "SendTaskFailure": self.send_task_failure,
            "SendTaskHeartbeat": self.send_task_heartbeat,
        }

    # -- state machines -----------------------------------------------------------------------

    def machine(self, arn: str) -> Doc:
        resource(arn, "stateMachine")
        found = self.store.machine(arn)
        if found is None:
            raise machine_missing(arn)
        return found

    def create_state_machine(self, params: Params) -> Params:
        name = check_name(str(params["name"]))
        kind = str(params.get("type") or "STANDARD")
        text = str(params["definition"])
        definitions.check(text)
        arn = self.names.machine(name)
        now = self.clock.wall()
        doc: Doc = {
            "stateMachineArn": arn,
            "name": name,
            "status": "ACTIVE",
            "definition": text,
            "roleArn": str(params["roleArn"]),
            "type": kind,
            "creationDate": now,
            "updateDate": now,
            "revisionId": ids.request_id(),
            "loggingConfiguration": params.get("loggingConfiguration") or {"level": "OFF"},
            "tracingConfiguration": params.get("tracingConfiguration") or {"enabled": False},
            "tags": _tags(params.get("tags")),
        }
        with self.store.lock:
            existing = self.store.machine(arn)
            if existing is not None:
                same = all(existing.get(k) == doc[k] for k in ("definition", "roleArn", "type"))
                if not same:
                    raise StateMachineAlreadyExists(f"State Machine Already Exists: '{arn}'")
                return {"stateMachineArn": arn, "creationDate": existing["creationDate"]}
            self.store.put_machine(doc)
            answer: Params = {"stateMachineArn": arn, "creationDate": now}
            if params.get("publish"):
                version = self._publish(doc, params.get("versionDescription"), None)
                answer["stateMachineVersionArn"] = version["stateMachineVersionArn"]
        return answer

    def describe_state_machine(self, params: Params) -> Params:
        arn = str(params["stateMachineArn"])
        machine, version = self.resolve(arn)
        shown = _shown(machine)
        if version is not None:
            shown["stateMachineArn"] = arn
            shown["creationDate"] = version["creationDate"]
            shown.pop("updateDate", None)
            if version.get("description"):
                shown["description"] = version["description"]
        return shown

    # -- versions -----------------------------------------------------------------------------

    def resolve(self, arn: str, routed: bool = False) -> tuple[Doc, Doc | None]:
        """The machine an ARN runs: the state machine's current revision for its own ARN, the
        frozen revision (and the version) for a version ARN (``...:stateMachine:NAME:3``) and,
        when ``routed``, for an alias ARN (``...:stateMachine:NAME:prod``) the version its
        routing picks by weight (the version doc then carries ``stateMachineAliasArn``)."""
        parts = resource(arn, "stateMachine")
        if len(parts) == 2:
            return self.machine(arn), None
        if len(parts) != 3:
            raise invalid_arn(f"Invalid ARN resource: {':'.join(parts)}")
        base = self.names.machine(parts[1])
        if not parts[2].isdigit():
            alias = self.store.alias(base, parts[2]) if routed else None
            if alias is None:
                raise ResourceNotFound(f"Resource not found: '{arn}'")
            routes = alias["routingConfiguration"]
            chosen = random.choices(routes, weights=[int(r["weight"]) for r in routes])[0]
            machine, version = self.resolve(str(chosen["stateMachineVersionArn"]))
            return machine, {**(version or {}), "stateMachineAliasArn": arn}
        version = self.store.version(base, int(parts[2]))
        if version is None or self.store.machine(base) is None:
            raise machine_missing(arn)
        frozen = self.store.revision(str(version["revisionId"]))
        if frozen is None:
            raise machine_missing(arn)
        return frozen, version

    def _publish(self, machine: Doc, description: Any, revision_id: Any) -> Doc:
        """Publish ``machine``'s current revision (under the store's lock): the newest version
        when it already froze this revision, as AWS answers a repeated publish."""
        if revision_id is not None and revision_id != machine["revisionId"]:
            raise ConflictException(
                f"Failed to publish the State Machine version for revision {revision_id}. "
                f"The current State Machine revision is {machine['revisionId']}."
            )
        arn = machine["stateMachineArn"]
        newest = self.store.versions(arn)[:1]
        if newest and newest[0]["revisionId"] == machine["revisionId"]:
            return newest[0]
        number = int(machine.get("lastVersion") or 0) + 1
        version: Doc = {
            "stateMachineVersionArn": f"{arn}:{number}",
            "revisionId": machine["revisionId"],
            "creationDate": self.clock.wall(),
        }
        if description:
            version["description"] = str(description)
        self.store.put_version(arn, number, version)
        machine["lastVersion"] = number
        self.store.put_machine(machine)
        return version

    def publish_state_machine_version(self, params: Params) -> Params:
        description = params.get("description")
        if description is not None and len(str(description)) > 256:
            raise ValidationException(
                "1 validation error detected: Value at 'description' failed to satisfy "
                "constraint: Member must have length less than or equal to 256"
            )
        with self.store.lock:
            machine = self.machine(str(params["stateMachineArn"]))
            version = self._publish(machine, description, params.get("revisionId"))
        return {
            "stateMachineVersionArn": version["stateMachineVersionArn"],
            "creationDate": version["creationDate"],
        }

    def list_state_machine_versions(self, params: Params) -> Params:
        machine = self.machine(str(params["stateMachineArn"]))
        versions = [
            {
                "stateMachineVersionArn": v["stateMachineVersionArn"],
                "creationDate": v["creationDate"],
            }
            for v in self.store.versions(machine["stateMachineArn"])
        ]
        page, token = _page(versions, params)
        return {"stateMachineVersions": page, **({"nextToken": token} if token else {})}

    def delete_state_machine_version(self, params: Params) -> Params:
        arn = str(params["stateMachineVersionArn"])
        parts = resource(arn, "stateMachine")
        if len(parts) != 3 or not parts[2].isdigit():
            raise ValidationException(f"Invalid ARN: '{arn}' is not a state machine version ARN")
        base = self.names.machine(parts[1])
        with self.store.lock:
            using = [
                a["stateMachineAliasArn"]
                for a in self.store.aliases(base)
                if any(r["stateMachineVersionArn"] == arn for r in a["routingConfiguration"])
            ]
            if using:
                raise ConflictException(
                    "Version to be deleted must not be referenced by an alias. Current list of "
                    f"aliases referencing this version: [{', '.join(using)}]"
                )
            self.store.delete_version(base, int(parts[2]))
        return {}

    # -- aliases ------------------------------------------------------------------------------

    def _routing(self, machine_arn: str, given: Any) -> list[Doc]:
        """A routing configuration checked as AWS checks it: one or two versions of this state
        machine, each once, with weights 0-100 that add up to 100."""
        routes = [dict(r) for r in given or []]
        if not 1 <= len(routes) <= 2:
            raise ValidationException(
                "1 validation error detected: Value at 'routingConfiguration' failed to satisfy "
                "constraint: Member must have length less than or equal to 2"
                if routes
                else "1 validation error detected: Value at 'routingConfiguration' failed to "
                "satisfy constraint: Member must have length greater than or equal to 1"
            )
        arns = [str(r["stateMachineVersionArn"]) for r in routes]
        if len(set(arns)) != len(arns):
            raise ValidationException(
                "Routing configuration must contain distinct state machine version ARNs. "
                f"Received: {arns}"
            )
        for arn in arns:
            parts = resource(arn, "stateMachine")
            if len(parts) != 3 or not parts[2].isdigit():
                raise ValidationException(f"Invalid State Machine Version Arn: '{arn}'")
            if self.names.machine(parts[1]) != machine_arn:
                raise ValidationException(
                    "Routing configuration must contain state machine version ARNs belonging "
                    f"to the same state machine. Received: {arns}"
                )
            if self.store.version(machine_arn, int(parts[2])) is None:
                raise ResourceNotFound(f"Resource not found: '{arn}'")
        if sum(int(r["weight"]) for r in routes) != 100:
            raise ValidationException(
                "Sum of routing configuration weights must be equal to 100. Received: "
                f"{[int(r['weight']) for r in routes]}"
            )
        return [
            {"stateMachineVersionArn": a, "weight": int(r["weight"])}
            for a, r in zip(arns, routes, strict=True)
        ]

    def _alias(self, arn: str) -> tuple[str, Doc]:
        parts = resource(arn, "stateMachine")
        if len(parts) != 3 or parts[2].isdigit():
            raise ValidationException(f"Invalid Arn: '{arn}' is not a state machine alias ARN")
        base = self.names.machine(parts[1])
        found = self.store.alias(base, parts[2])
        if found is None:
            raise ResourceNotFound(f"Resource not found: '{arn}'")
        return base, found

    def create_state_machine_alias(self, params: Params) -> Params:
        name = check_name(str(params["name"]))
        if name.isdigit():
            raise ValidationException(f"Invalid Name: '{name}' (an alias name is not only digits)")
        routes = params.get("routingConfiguration")
        first = str((routes or [{}])[0].get("stateMachineVersionArn", ""))
        parts = resource(first, "stateMachine") if first else []
        if len(parts) < 2:
            raise ValidationException("Routing configuration must not be empty")
        base = self.names.machine(parts[1])
        with self.store.lock:
            self.machine(base)
            routing = self._routing(base, routes)
            arn = f"{base}:{name}"
            existing = self.store.alias(base, name)
            if existing is not None:
                same = existing["routingConfiguration"] == routing and existing.get(
                    "description"
                ) == params.get("description")
                if not same:
                    raise ConflictException(
                        f"Failed to create alias because an alias with the same name and a "
                        f"different routing configuration already exists: '{arn}'"
                    )
                return {"stateMachineAliasArn": arn, "creationDate": existing["creationDate"]}
            now = self.clock.wall()
            doc: Doc = {
                "stateMachineAliasArn": arn,
                "name": name,
                "routingConfiguration": routing,
                "creationDate": now,
                "updateDate": now,
            }
            if params.get("description"):
                doc["description"] = str(params["description"])
            self.store.put_alias(base, doc)
        return {"stateMachineAliasArn": arn, "creationDate": now}

    def describe_state_machine_alias(self, params: Params) -> Params:
        return self._alias(str(params["stateMachineAliasArn"]))[1]

    def update_state_machine_alias(self, params: Params) -> Params:
        if params.get("description") is None and params.get("routingConfiguration") is None:
            raise ValidationException(
                "Either the description or the routing configuration must be specified"
            )
        with self.store.lock:
            base, doc = self._alias(str(params["stateMachineAliasArn"]))
            if params.get("routingConfiguration") is not None:
                doc["routingConfiguration"] = self._routing(base, params["routingConfiguration"])
            if params.get("description") is not None:
                doc["description"] = str(params["description"])
            doc["updateDate"] = self.clock.wall()
            self.store.put_alias(base, doc)
        return {"updateDate": doc["updateDate"]}

    def delete_state_machine_alias(self, params: Params) -> Params:
        arn = str(params["stateMachineAliasArn"])
        parts = resource(arn, "stateMachine")
        if len(parts) != 3 or parts[2].isdigit():
            raise ValidationException(f"Invalid Arn: '{arn}' is not a state machine alias ARN")
        self.store.delete_alias(self.names.machine(parts[1]), parts[2])
        return {}

    def list_state_machine_aliases(self, params: Params) -> Params:
        machine = self.machine(str(params["stateMachineArn"]))
        aliases = [
            {"stateMachineAliasArn": a["stateMachineAliasArn"], "creationDate": a["creationDate"]}
            for a in self.store.aliases(machine["stateMachineArn"])
        ]
        page, token = _page(aliases, params)
        return {"stateMachineAliases": page, **({"nextToken": token} if token else {})}

    def update_state_machine(self, params: Params) -> Params:
        arn = str(params["stateMachineArn"])
        changes = ("definition", "roleArn", "loggingConfiguration", "tracingConfiguration")
        if all(params.get(k) is None for k in changes):
            raise _missing_parameter()
        with self.store.lock:
            doc = self.machine(arn)
            if params.get("definition") is not None:
                definitions.check(str(params["definition"]))
                doc["definition"] = str(params["definition"])
            for key in ("roleArn", "loggingConfiguration", "tracingConfiguration"):
                if params.get(key) is not None:
                    doc[key] = params[key]
            doc["updateDate"] = self.clock.wall()
            doc["revisionId"] = ids.request_id()
            self.store.put_machine(doc)
            answer: Params = {"updateDate": doc["updateDate"], "revisionId": doc["revisionId"]}
            if params.get("publish"):
                version = self._publish(doc, params.get("versionDescription"), None)
                answer["stateMachineVersionArn"] = version["stateMachineVersionArn"]
        return answer

    def delete_state_machine(self, params: Params) -> Params:
        arn = str(params["stateMachineArn"])
        resource(arn, "stateMachine")
        self.store.delete_machine(arn)
        return {}

    def list_state_machines(self, params: Params) -> Params:
        machines = [
            {
                "stateMachineArn": m["stateMachineArn"],
                "name": m["name"],
                "type": m["type"],
                "creationDate": m["creationDate"],
            }
            for m in self.store.machines()
        ]
        page, token = _page(machines, params)
        return {"stateMachines": page, **({"nextToken": token} if token else {})}

    # -- executions ---------------------------------------------------------------------------

    def _start(self, params: Params) -> tuple[Doc, Doc]:
        machine, version = self.resolve(str(params["stateMachineArn"]), routed=True)
        name = check_name(str(params.get("name") or ids.request_id()))
        text = params.get("input")
        text = "{}" if text is None else str(text)
        if len(text.encode()) > MAX_INPUT_BYTES:
            raise InvalidExecutionInput(
                "Invalid State Machine Execution Input: 'Input exceeds the maximum size'"
            )
        try:
            fastjson.loads(text)
        except ValueError:
            raise InvalidExecutionInput(
                f"Invalid State Machine Execution Input: '{text[:100]}'"
            ) from None
        express = machine["type"] == "EXPRESS"
        arn = (
            self.names.express(machine["name"], name, ids.request_id())
            if express
            else self.names.execution(machine["name"], name)
        )
        doc: Doc = {
            "executionArn": arn,
            "stateMachineArn": machine["stateMachineArn"],
            "name": name,
            "status": "RUNNING",
            "startDate": self.clock.wall(),
            "input": text,
            "inputDetails": {"included": True},
        }
        if version is not None:
            doc["stateMachineVersionArn"] = version["stateMachineVersionArn"]
            if "stateMachineAliasArn" in version:
                doc["stateMachineAliasArn"] = version["stateMachineAliasArn"]
        if params.get("traceHeader"):
            doc["traceHeader"] = str(params["traceHeader"])
        elif (machine.get("tracingConfiguration") or {}).get("enabled"):
            # X-Ray tracing on: the execution starts a sampled trace its Lambda tasks join.
            root = f"1-{int(doc['startDate']):08x}-{ids.hex_id()[:24]}"
            doc["traceHeader"] = f"Root={root};Sampled=1"
        return machine, doc

    async def start_execution(self, params: Params) -> Params:
        machine, doc = self._start(params)
        if machine["type"] == "EXPRESS":
            self.executor.start_express(machine, doc)
            return {"executionArn": doc["executionArn"], "startDate": doc["startDate"]}
        if not await self.executor.start(machine, doc):
            existing = self.executor.running(doc["executionArn"])
            if existing is None:
                found = self.store.execution(doc["executionArn"])
                existing = found.doc if found is not None else None
            same = existing is not None and existing["input"] == doc["input"]
            if existing is None or existing["status"] != "RUNNING" or not same:
                raise ExecutionAlreadyExists(f"Execution Already Exists: '{doc['executionArn']}'")
            doc = existing
        return {"executionArn": doc["executionArn"], "startDate": doc["startDate"]}

    async def start_sync_execution(self, params: Params) -> Params:
        machine, doc = self._start(params)
        if machine["type"] != "EXPRESS":
            raise StateMachineTypeNotSupported(
                "This operation is not supported by this type of state machine"
            )
        done = await self.executor.run_express(machine, doc)
        answer = {k: v for k, v in done.items() if k not in ("redriveCount", "redriveStatus")}
        answer["billingDetails"] = {
            "billedMemoryUsedInMB": 64,
            "billedDurationInMilliseconds": max(
                100, int((done["stopDate"] - done["startDate"]) * 1000)
            ),
        }
        return answer

    def _execution(self, arn: str) -> Doc:
        parts = resource(arn, "execution", "express")
        if parts[0] == "express":
            raise invalid_arn(f"Resource type not valid in this context: {parts[0]}")
        found = self.store.execution(arn)
        if found is None:
            raise execution_missing(arn)
        return found.doc

    def describe_execution(self, params: Params) -> Params:
        doc = dict(self._execution(str(params["executionArn"])))
        doc.pop("revisionId", None)
        doc.setdefault("redriveCount", 0)
        doc.setdefault(
            "redriveStatus", "NOT_REDRIVABLE" if doc["status"] == "RUNNING" else "REDRIVABLE"
        )
        if doc["status"] == "SUCCEEDED":
            doc["redriveStatus"] = "NOT_REDRIVABLE"
            doc["redriveStatusReason"] = "Execution is SUCCEEDED and cannot be redriven"
        return doc

    def describe_state_machine_for_execution(self, params: Params) -> Params:
        doc = self._execution(str(params["executionArn"]))
        machine = self.store.revision(str(doc.get("revisionId"))) or self.machine(
            doc["stateMachineArn"]
        )
        return {
            "stateMachineArn": machine["stateMachineArn"],
            "name": machine["name"],
            "definition": machine["definition"],
            "roleArn": machine["roleArn"],
            "updateDate": machine["updateDate"],
            "loggingConfiguration": machine.get("loggingConfiguration") or {"level": "OFF"},
            "tracingConfiguration": machine.get("tracingConfiguration") or {"enabled": False},
            "revisionId": machine.get("revisionId"),
        }

    async def stop_execution(self, params: Params) -> Params:
        arn = str(params["executionArn"])
        self._execution(arn)
        doc = await self.executor.stop(arn, params.get("error"), params.get("cause"))
        return {"stopDate": doc.get("stopDate") or self.clock.wall()}

    async def redrive_execution(self, params: Params) -> Params:
        """Resume a FAILED, TIMED_OUT or ABORTED Standard execution from the state it stopped
        in; the execution is RUNNING again (with one more ``redriveCount``) when this answers."""
        arn = str(params["executionArn"])
        with self.store.lock:
            resource(arn, "execution")  # an Express ARN is InvalidArn, as for DescribeExecution
            found = self.store.execution(arn)
            if found is None:
                raise execution_missing(arn)
            doc = dict(found.doc)
            if doc["status"] in ("RUNNING", "SUCCEEDED") or not found.checkpoint:
                raise ExecutionNotRedrivable(
                    f"Execution is {doc['status']} and cannot be redriven"
                    if doc["status"] in ("RUNNING", "SUCCEEDED")
                    else f"Execution cannot be redriven: '{arn}'"
                )
            machine = self.store.revision(str(doc.get("revisionId"))) or self.machine(
                doc["stateMachineArn"]
            )
            self.executor.redrive(machine, doc, found.checkpoint)
        return {"redriveDate": doc["redriveDate"]}

    # -- map runs -----------------------------------------------------------------------------

    def _map_run(self, arn: str) -> Doc:
        resource(arn, "mapRun")
        found = self.store.map_run(arn)
        if found is None:
            raise ResourceNotFound(f"Resource not found: '{arn}'")
        return found

    def describe_map_run(self, params: Params) -> Params:
        return self._map_run(str(params["mapRunArn"]))

    def list_map_runs(self, params: Params) -> Params:
        arn = str(params["executionArn"])
        self._execution(arn)
        runs = [
            {k: r[k] for k in ("executionArn", "mapRunArn", "stateMachineArn", "startDate")}
            | ({"stopDate": r["stopDate"]} if "stopDate" in r else {})
            for r in self.store.map_runs(arn)
        ]
        page, token = _page(runs, params)
        return {"mapRuns": page, **({"nextToken": token} if token else {})}

    def update_map_run(self, params: Params) -> Params:
        """Records the new limits (DescribeMapRun shows them); a Map already running keeps the
        limits it started with."""
        changes = ("maxConcurrency", "toleratedFailurePercentage", "toleratedFailureCount")
        if all(params.get(k) is None for k in changes):
            raise ValidationException(
                "At least one of maxConcurrency, toleratedFailurePercentage or "
                "toleratedFailureCount must be specified"
            )
        with self.store.lock:
            doc = self._map_run(str(params["mapRunArn"]))
            for key in changes:
                if params.get(key) is not None:
                    doc[key] = params[key]
            self.store.put_map_run(doc)
        return {}

    async def test_state(self, params: Params) -> Params:
        return await teststate.run(self.executor, self.names, self.clock, params)

    def list_executions(self, params: Params) -> Params:
        """A machine's executions, newest first; by a version or alias ARN, only the ones
        started through it (ListExecutions takes either, as AWS documents)."""
        if params.get("mapRunArn"):
            return self._children(params)
        arn = str(params.get("stateMachineArn") or "")
        parts = resource(arn, "stateMachine")
        qualified = arn if len(parts) == 3 else None
        key = "stateMachineVersionArn" if parts[-1].isdigit() else "stateMachineAliasArn"
        machine = self.machine(self.names.machine(parts[1]) if qualified else arn)
        if qualified is not None:
            self.resolve(arn, routed=True)  # a version or alias that does not exist is refused
        if machine["type"] == "EXPRESS":
            raise StateMachineTypeNotSupported(
                "This operation is not supported by this type of state machine"
            )
        limit = int(params.get("maxResults") or DEFAULT_PAGE)
        cursor = _token(params.get("nextToken"))
        rows: list[tuple[int, Doc]] = []
        while len(rows) <= limit:
            batch = self.store.executions(
                machine["stateMachineArn"], params.get("statusFilter"), cursor, limit + 1
            )
            rows += [r for r in batch if qualified is None or r[1].get(key) == qualified]
            if len(batch) <= limit:
                break
            cursor = batch[-1][0]
        shown = (
            *("executionArn", "stateMachineArn", "name", "status", "startDate", "stopDate"),
            *("stateMachineVersionArn", "stateMachineAliasArn", "redriveDate"),
        )
        listed = [
            {k: d[k] for k in shown if k in d} | {"redriveCount": d.get("redriveCount", 0)}
            for _, d in rows[:limit]
        ]
        answer: Params = {"executions": listed}
        if len(rows) > limit:
            answer["nextToken"] = str(rows[limit - 1][0])
        return answer

    def _children(self, params: Params) -> Params:
        """A Map Run's child executions (one per iteration), newest first."""
        map_run = str(params["mapRunArn"])
        self._map_run(map_run)  # an unknown Map Run is refused
        limit = int(params.get("maxResults") or DEFAULT_PAGE)
        rows = self.store.executions(
            map_run, params.get("statusFilter"), _token(params.get("nextToken")), limit + 1
        )
        shown = ("executionArn", "stateMachineArn", "name", "status", "startDate", "stopDate")
        listed = [
            {k: d[k] for k in shown if k in d} | {"mapRunArn": map_run, "redriveCount": 0}
            for _, d in rows[:limit]
        ]
        answer: Params = {"executions": listed}
        if len(rows) > limit:
            answer["nextToken"] = str(rows[limit - 1][0])
        return answer

    def get_execution_history(self, params: Params) -> Params:
        arn = str(params["executionArn"])
        self._execution(arn)
        limit = int(params.get("maxResults") or DEFAULT_PAGE)
        after = _token(params.get("nextToken")) or 0
        reverse = bool(params.get("reverseOrder"))
        events = self.store.history(arn, after, limit + 1, reverse)
        if params.get("includeExecutionData") is False:
            events = [_without_data(e) for e in events]
        answer: Params = {"events": events[:limit]}
        if len(events) > limit:
            answer["nextToken"] = str(events[limit - 1]["id"])
        return answer

    # -- tags ---------------------------------------------------------------------------------

    def _tagged(self, arn: str) -> tuple[Doc, Callable[[Doc], None]]:
        kind = resource(arn, "stateMachine", "activity")[0]
        if kind == "activity":
            found = self.store.activity(arn)
            if found is None:
                raise ResourceNotFound(f"Resource not found: '{arn}'")
            return found, self.store.put_activity
        found = self.store.machine(arn)
        if found is None:
            raise ResourceNotFound(f"Resource not found: '{arn}'")
        return found, self.store.put_machine

    def tag_resource(self, params: Params) -> Params:
        with self.store.lock:
            doc, save = self._tagged(str(params["resourceArn"]))
            tags = {t["key"]: t["value"] for t in doc.get("tags", [])}
            tags.update({t["key"]: t["value"] for t in _tags(params["tags"])})
            doc["tags"] = [{"key": k, "value": v} for k, v in tags.items()]
            save(doc)
        return {}

    def untag_resource(self, params: Params) -> Params:
        with self.store.lock:
            doc, save = self._tagged(str(params["resourceArn"]))
            gone = set(params["tagKeys"])
            doc["tags"] = [t for t in doc.get("tags", []) if t["key"] not in gone]
            save(doc)
        return {}

    def list_tags_for_resource(self, params: Params) -> Params:
        doc, _ = self._tagged(str(params["resourceArn"]))
        return {"tags": doc.get("tags", [])}

    # -- activities ---------------------------------------------------------------------------

    def activity(self, arn: str) -> Doc:
        resource(arn, "activity")
        found = self.store.activity(arn)
        if found is None:
            raise ActivityDoesNotExist(f"Activity Does Not Exist: '{arn}'")
        return found

    def create_activity(self, params: Params) -> Params:
        name = check_name(str(params["name"]))
        arn = self.names.activity(name)
        with self.store.lock:
            existing = self.store.activity(arn)
            if existing is None:
                existing = {
                    "activityArn": arn,
                    "name": name,
                    "creationDate": self.clock.wall(),
                    "tags": _tags(params.get("tags")),
                }
                self.store.put_activity(existing)
        return {"activityArn": arn, "creationDate": existing["creationDate"]}

    def describe_activity(self, params: Params) -> Params:
        doc = self.activity(str(params["activityArn"]))
        return {k: doc[k] for k in ("activityArn", "name", "creationDate")}

    def delete_activity(self, params: Params) -> Params:
        arn = str(params["activityArn"])
        resource(arn, "activity")
        self.store.delete_activity(arn)
        return {}

    def list_activities(self, params: Params) -> Params:
        shown = [
            {k: a[k] for k in ("activityArn", "name", "creationDate")}
            for a in self.store.activities()
        ]
        page, token = _page(shown, params)
        return {"activities": page, **({"nextToken": token} if token else {})}

    async def get_activity_task(self, params: Params) -> Params:
        arn = str(params["activityArn"])
        await asyncio.to_thread(self.activity, arn)
        return await self.executor.activity_task(arn, str(params.get("workerName") or ""))

    # -- task tokens --------------------------------------------------------------------------

    async def send_task_success(self, params: Params) -> Params:
        output = str(params["output"])
        try:
            fastjson.loads(output)
        except ValueError:
            raise InvalidOutput(f"Invalid Output: '{output[:100]}'") from None
        await self.executor.answer_token(_task_token(params), output=output)
        return {}

    async def send_task_failure(self, params: Params) -> Params:
        await self.executor.answer_token(
            _task_token(params),
            error=str(params.get("error") or ""),
            cause=str(params.get("cause") or ""),
        )
        return {}

    async def send_task_heartbeat(self, params: Params) -> Params:
        await self.executor.heartbeat(_task_token(params))
        return {}


def _task_token(params: Params) -> str:
    token = str(params.get("taskToken") or "")
    if not token:
        raise InvalidToken("Invalid Token: 'Invalid token'")
    return token


def _tags(given: Any) -> list[Doc]:
    return [{"key": str(t["key"]), "value": str(t.get("value", ""))} for t in given or []]


def _shown(doc: Doc) -> Doc:
    return {k: v for k, v in doc.items() if k not in ("tags", "updateDate", "template", "deployed")}


def _token(given: Any) -> int | None:
    if given is None:
        return None
    try:
        return int(str(given))
    except ValueError:
        raise InvalidToken(f"Invalid Token: '{given}'") from None


def _page(items: list[Doc], params: Params) -> tuple[list[Doc], str | None]:
    start = _token(params.get("nextToken")) or 0
    limit = int(params.get("maxResults") or DEFAULT_PAGE)
    page = items[start : start + limit]
    more = start + limit < len(items)
    return page, str(start + limit) if more else None


def _without_data(event: Doc) -> Doc:
    shown = {}
    for key, value in event.items():
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in ("input", "output")}
        shown[key] = value
    return shown


def _missing_parameter() -> MissingRequiredParameter:
    return MissingRequiredParameter(
        "Either the definition, the role ARN, the LoggingConfiguration, or the "
        "TracingConfiguration must be specified"
    )


class StepFunctionsService(ModelService):
    def __init__(
        self,
        state_dir: Path,
        deliveries: Deliveries,
        tasks: Tasks,
        region: str,
        account_id: str,
        clock: Clock = SYSTEM,
        rate: float = 1.0,
        trace: bool = False,
        tracing: Tracing | None = None,
    ) -> None:
        self.store = Store(state_dir / DATABASE)
        self.names = Names(region, account_id)
        self.deliveries = deliveries
        self.executor = Executor(
            self.store, tasks, self.names, clock, self._status_changed, rate=rate
        )
        self.executor.starter = self._start_child
        if trace:
            self.executor.trace = log.info
        # Traced executions record their X-Ray segments there (``observe.statetrace``).
        self.executor.tracing = tracing
        self.api = StepFunctions(self.store, self.executor, self.names, clock)
        self.region = region
        self.account_id = account_id
        super().__init__("stepfunctions", self.api.operations(), signing_names=("states",))

    async def deploy(self, stack: Stack) -> None:
        from lamina.services.stepfunctions import deployment

        for warning in await asyncio.to_thread(deployment.deploy, self.api, stack):
            log.warning("%s", warning)

    def resume(self) -> None:
        """Run the executions a previous Lamina left running; called once the engine has
        started (a resumed task may invoke a function at once)."""
        self.executor.resume()

    async def close(self) -> None:
        await self.executor.close()
        self.store.close()

    # -- delivery ----------------------------------------------------------------------------

    async def deliver(self, arn: str, message: Message) -> None:
        """A state machine as a target (an EventBridge rule, a schedule): the message starts
        an execution with the message as its input."""
        try:
            await self.api.start_execution({"stateMachineArn": arn, "input": message.body})
        except Exception as exc:
            raise DeliveryError(f"{arn}: {exc}") from None

    async def _start_child(
        self, machine: str, text: str, name: str | None, trace: str | None = None
    ) -> Doc:
        """states:startExecution from a task: the execution's document once started (in the
        calling execution's trace, ``trace`` its header)."""
        params: Params = {"stateMachineArn": machine, "input": text}
        if name:
            params["name"] = name
        if trace:
            params["traceHeader"] = trace
        answer = await self.api.start_execution(params)
        found = self.store.execution(answer["executionArn"])
        return found.doc if found is not None else {**params, **answer}

    def _status_changed(self, execution: Doc) -> None:
        """Step Functions Execution Status Change on the default bus."""
        if not self.deliveries.serves("arn:aws:events:x:x:event-bus/default"):
            return
        detail = {
            k: execution.get(k)
            for k in (
                "executionArn",
                "stateMachineArn",
                "name",
                "status",
                "startDate",
                "stopDate",
                "input",
                "output",
                "error",
                "cause",
            )
        }
        for key in ("startDate", "stopDate"):
            stamp = detail[key]
            if stamp is not None:
                detail[key] = int(float(stamp) * 1000)
        detail["inputDetails"] = {"included": True}
        detail["outputDetails"] = {"included": True} if detail["output"] is not None else None
        event = {
            "source": "aws.states",
            "detail-type": "Step Functions Execution Status Change",
            "resources": [execution["executionArn"]],
            "detail": detail,
        }
        bus = f"arn:aws:events:{self.region}:{self.account_id}:event-bus/default"

        async def send() -> None:
            try:
                await self.deliveries.deliver(bus, Message(fastjson.dumps_text(event)))
            except DeliveryError as exc:
                log.warning("status change of %s not sent: %s", execution["executionArn"], exc)

        self.executor.spawn(send())
