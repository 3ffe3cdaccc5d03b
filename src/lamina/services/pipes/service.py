"""EventBridge Pipes on the AWS endpoint (rest-json: ``/v1/pipes/{Name}``, ``/tags/{resourceArn}``).

A pipe reads a source (an SQS queue or a DynamoDB stream), keeps the records its
``FilterCriteria`` matches, optionally hands the batch to an enrichment function and sends the
result to one target. The API here owns the pipes (SQLite, ``store``, written before it
answers); a ``Runner`` (``lamina.sources.pipes``, handed in by the composition root) runs those
whose ``CurrentState`` is ``RUNNING``: the service tells it the whole set after every change,
and the template's ``AWS::Pipes::Pipe`` resources are written here at deploy (those it drops
are deleted), so the API shows and changes them too.

States as AWS reports them: an operation answers the state the pipe is passing through
(``CreatePipe`` ``CREATING``, ``UpdatePipe`` ``UPDATING``, ``StartPipe`` ``STARTING``,
``StopPipe`` ``STOPPING``, ``DeletePipe`` ``DELETING``) and ``DescribePipe`` the one it settled
in, ``RUNNING`` or ``STOPPED`` as ``DesiredState`` asks (a local pipe settles at once).

What a pipe cannot do here is refused on create or update, naming it (a Kinesis, MQ or Kafka
source; an ECS, Batch, HTTP... target; Step Functions while no service delivers to ``states``),
rather than accepted and never run.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from lamina.clock import SYSTEM, Clock
from lamina.errors import AwsError
from lamina.model import arns
from lamina.model.pipes import PipeSpec
from lamina.model.specs import Stack
from lamina.net.messages import Response
from lamina.services.errors import render
from lamina.services.lambda_.pagination import paginate
from lamina.services.pipes.errors import ConflictException, NotFoundException, ValidationException
from lamina.services.pipes.store import Doc, Store
from lamina.services.protocols.service import ModelService

log = logging.getLogger("lamina.pipes")
DATABASE = "pipes.sqlite3"
RUNNING = "RUNNING"
STOPPED = "STOPPED"
# Sources a pipe here reads, by the service in their ARN.
SOURCES = {"sqs": "SqsQueueParameters", "dynamodb": "DynamoDBStreamParameters"}
# Targets a pipe here reaches, by the service in their ARN (``states`` only when served).
TARGETS = ("lambda", "sqs", "sns", "events", "states")
# Parameters of a source or target kind Lamina does not run, as the API names them.
_OTHER_TARGET_PARAMETERS = (
    "KinesisStreamParameters",
    "EcsTaskParameters",
    "BatchJobParameters",
    "HttpParameters",
    "RedshiftDataParameters",
    "SageMakerPipelineParameters",
    "CloudWatchLogsParameters",
    "TimestreamParameters",
)
_UPDATABLE = (
    "Description",
    "SourceParameters",
    "Enrichment",
    "EnrichmentParameters",
    "Target",
    "TargetParameters",
    "RoleArn",
    "LogConfiguration",
    "KmsKeyIdentifier",
)
_SUMMARY = (
    "Name",
    "Arn",
    "DesiredState",
    "CurrentState",
    "StateReason",
    "CreationTime",
    "LastModifiedTime",
    "Source",
    "Target",
    "Enrichment",
)
_NAME = re.compile(r"^[\.\-_A-Za-z0-9]{1,64}$")
_STREAM = re.compile(r"^arn:[^:]+:dynamodb:[^:]*:\d*:table/[^/]+/stream/.+$")
Params = dict[str, Any]


class Runner(Protocol):
    """What runs the pipes (``lamina.sources.pipes.Runner``): told the whole set, every
    pipe as DescribePipe answers it, after each change; those ``RUNNING`` run."""

    async def deploy(self, docs: list[Doc]) -> None: ...

    async def close(self) -> None: ...


class Pipes:
    def __init__(
        self,
        store: Store,
        region: str,
        account_id: str,
        delivers: Callable[[str], bool],
        clock: Clock = SYSTEM,
    ) -> None:
        self.store = store
        self.region = region
        self.account_id = account_id
        self.delivers = delivers
        self.clock = clock
        # Told the whole set of pipes after each change (the runner's ``deploy``).
        self.changed: Callable[[list[Doc]], None] | None = None

    def operations(self) -> dict[str, Callable[[Params], Any]]:
        return {
            "CreatePipe": self.create_pipe,
            "DescribePipe": self.describe_pipe,
            "UpdatePipe": self.update_pipe,
            "DeletePipe": self.delete_pipe,
            "ListPipes": self.list_pipes,
            "StartPipe": self.start_pipe,
            "StopPipe": self.stop_pipe,
            "TagResource": self.tag_resource,
            "UntagResource": self.untag_resource,
            "ListTagsForResource": self.list_tags_for_resource,
        }

    def pipe_arn(self, name: str) -> str:
        return arns.arn("pipes", self.region, self.account_id, f"pipe/{name}")

    # -- pipes -------------------------------------------------------------------------------

    def create_pipe(self, params: Params) -> Params:
        name = str(params["Name"])
        if not _NAME.match(name):
            # AWS's wording for a member outside its pattern (the model's PipeName).
            raise ValidationException(
                f"1 validation error detected: Value '{name}' at 'name' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: "
                "[\\.\\-_A-Za-z0-9]+"
            )
        now = self.clock.wall()
        with self.store.lock:
            if self.store.pipe(name) is not None:
                raise ConflictException(f"Pipe {name} already exists.", name)
            doc: Doc = {
                "Name": name,
                "Arn": self.pipe_arn(name),
                "Source": str(params["Source"]),
                "CreationTime": now,
                "Tags": dict(params.get("Tags") or {}),
            }
            doc.update({k: params[k] for k in _UPDATABLE if params.get(k) is not None})
            self._settle(doc, params.get("DesiredState"), now)
            self._check(doc)
            self.store.put(doc)
        self._changed()
        return _answer(doc, "CREATING")

    def describe_pipe(self, params: Params) -> Params:
        doc = self._pipe(str(params["Name"]))
        doc.pop("template", None)
        return doc

    def update_pipe(self, params: Params) -> Params:
        name = str(params["Name"])
        now = self.clock.wall()
        with self.store.lock:
            doc = self._pipe(name)
            for key in _UPDATABLE:
                if params.get(key) is not None:
                    doc[key] = (
                        _merged(doc.get(key), params[key])
                        if key.endswith("Parameters")
                        else params[key]
                    )
            self._settle(doc, params.get("DesiredState") or doc["DesiredState"], now)
            self._check(doc)
            self.store.put(doc)
        self._changed()
        return _answer(doc, "UPDATING")

    def delete_pipe(self, params: Params) -> Params:
        name = str(params["Name"])
        with self.store.lock:
            doc = self._pipe(name)
            self.store.delete(name)
        self._changed()
        return _answer(doc, "DELETING")

    def list_pipes(self, params: Params) -> Params:
        def wanted(doc: Doc) -> bool:
            return (
                doc["Name"].startswith(str(params.get("NamePrefix") or ""))
                and doc["Source"].startswith(str(params.get("SourcePrefix") or ""))
                and doc["Target"].startswith(str(params.get("TargetPrefix") or ""))
                and params.get("DesiredState") in (None, doc["DesiredState"])
                and params.get("CurrentState") in (None, doc["CurrentState"])
            )

        found = [{k: d[k] for k in _SUMMARY if k in d} for d in self.store.pipes() if wanted(d)]
        page, token = paginate(found, params.get("NextToken"), params.get("Limit"), 100)
        return {"Pipes": page, **({"NextToken": token} if token else {})}

    def start_pipe(self, params: Params) -> Params:
        return self._desire(str(params["Name"]), RUNNING, "STARTING")

    def stop_pipe(self, params: Params) -> Params:
        return self._desire(str(params["Name"]), STOPPED, "STOPPING")

    def _desire(self, name: str, state: str, passing: str) -> Params:
        with self.store.lock:
            doc = self._pipe(name)
            self._settle(doc, state, self.clock.wall())
            self.store.put(doc)
        self._changed()
        return _answer(doc, passing)

    # -- tags --------------------------------------------------------------------------------

    def tag_resource(self, params: Params) -> Params:
        with self.store.lock:
            doc = self._tagged(str(params["resourceArn"]))
            doc["Tags"] = {**doc.get("Tags", {}), **params["tags"]}
            self.store.put(doc)
        return {}

    def untag_resource(self, params: Params) -> Params:
        with self.store.lock:
            doc = self._tagged(str(params["resourceArn"]))
            keys = set(params["tagKeys"])
            doc["Tags"] = {k: v for k, v in doc.get("Tags", {}).items() if k not in keys}
            self.store.put(doc)
        return {}

    def list_tags_for_resource(self, params: Params) -> Params:
        return {"tags": self._tagged(str(params["resourceArn"])).get("Tags", {})}

    def _tagged(self, arn: str) -> Doc:
        prefix = self.pipe_arn("")
        doc = self.store.pipe(arn[len(prefix) :]) if arn.startswith(prefix) else None
        if doc is None:
            raise NotFoundException(f"Resource {arn} does not exist.")
        return doc

    # -- the template's pipes ----------------------------------------------------------------

    def deploy(self, specs: Iterable[PipeSpec]) -> None:
        """Write the template's pipes (a pipe the template did not change keeps its creation
        time and the state the API last gave it) and delete those it dropped. A pipe this
        service cannot run is logged, naming what, and left out."""
        now = self.clock.wall()
        wanted: set[str] = set()
        with self.store.lock:
            for spec in specs:
                wanted.add(spec.name)
                request = spec.request()
                old = self.store.pipe(spec.name)
                if old is not None and old.get("template") == spec.members:
                    continue
                doc: Doc = {
                    "Name": spec.name,
                    "Arn": self.pipe_arn(spec.name),
                    "Source": str(request["Source"]),
                    "CreationTime": now,
                    "Tags": dict(request.get("Tags") or {}),
                    "template": spec.members,
                }
                doc.update({k: request[k] for k in _UPDATABLE if request.get(k) is not None})
                self._settle(doc, request.get("DesiredState"), now)
                try:
                    self._check(doc)
                except ValidationException as exc:
                    log.warning("pipe %s is not run: %s", spec.logical_id, exc.message)
                    continue
                self.store.put(doc)
            for doc in self.store.pipes():
                if doc.get("template") and doc["Name"] not in wanted:
                    self.store.delete(doc["Name"])
        self._changed()

    # -- what runs ---------------------------------------------------------------------------

    def pipes(self) -> list[Doc]:
        return self.store.pipes()

    def _changed(self) -> None:
        # Under the lock, so the runner is told the sets in the order they were written.
        with self.store.lock:
            if self.changed is not None:
                self.changed(self.store.pipes())

    # -- helpers -----------------------------------------------------------------------------

    def _pipe(self, name: str) -> Doc:
        doc = self.store.pipe(name)
        if doc is None:
            raise NotFoundException(f"Pipe {name} does not exist.")
        return doc

    def _settle(self, doc: Doc, desired: Any, now: float) -> None:
        state = str(desired or RUNNING)
        doc["DesiredState"] = state
        doc["CurrentState"] = state
        doc["LastModifiedTime"] = now

    def _check(self, doc: Doc) -> None:
        """Refuse what would be accepted and never run, naming it."""
        source = doc["Source"]
        kind = arns.service_of(source)
        if kind not in SOURCES or (kind == "dynamodb" and not _STREAM.match(source)):
            raise ValidationException(
                f"Lamina does not run pipes from {source} yet: sources are SQS queues and "
                "DynamoDB streams."
            )
        given = doc.get("SourceParameters") or {}
        for key, value in given.items():
            if key.endswith("Parameters") and value is not None and key != SOURCES[kind]:
                raise ValidationException(
                    f"SourceParameters.{key} does not apply to source {source}."
                )
        if kind == "dynamodb" and not (given.get(SOURCES[kind]) or {}).get("StartingPosition"):
            raise ValidationException(
                "SourceParameters.DynamoDBStreamParameters.StartingPosition is required for "
                f"source {source}."
            )
        target = str(doc.get("Target") or "")
        service = arns.service_of(target)
        if service not in TARGETS or (service == "states" and not self.delivers(target)):
            raise ValidationException(
                f"Lamina does not deliver pipes to {target} yet: targets are Lambda functions, "
                "SQS queues, SNS topics, event buses"
                + (" and state machines." if self.delivers(self._probe_states()) else ".")
            )
        for key in _OTHER_TARGET_PARAMETERS:
            if (doc.get("TargetParameters") or {}).get(key) is not None:
                raise ValidationException(
                    f"Lamina does not run pipes with TargetParameters.{key} yet."
                )
        enrichment = doc.get("Enrichment")
        if enrichment and arns.service_of(enrichment) != "lambda":
            raise ValidationException(
                f"Lamina does not enrich with {enrichment} yet: enrichments are Lambda functions."
            )
        if ((doc.get("EnrichmentParameters") or {}).get("HttpParameters")) is not None:
            raise ValidationException(
                "Lamina does not run pipes with EnrichmentParameters.HttpParameters yet."
            )

    def _probe_states(self) -> str:
        return arns.arn("states", self.region, self.account_id, "stateMachine:x")


def _answer(doc: Doc, state: str) -> Params:
    return {
        "Arn": doc["Arn"],
        "Name": doc["Name"],
        "DesiredState": doc["DesiredState"],
        "CurrentState": state,
        "CreationTime": doc["CreationTime"],
        "LastModifiedTime": doc["LastModifiedTime"],
    }


def _merged(old: Any, new: Any) -> Any:
    """UpdatePipe's parameters: members not named stay; a named one (``SqsQueueParameters``,
    ``FilterCriteria``) replaces the old as one, as AWS documents for UpdatePipe."""
    if isinstance(old, dict) and isinstance(new, dict):
        return {**old, **new}
    return new


def _render_error(exc: AwsError, protocol: str, request_id: str) -> Response:
    extra = (
        {"resourceId": exc.resource_id, "resourceType": "pipe"}
        if isinstance(exc, ConflictException)
        else None
    )
    return render(exc, protocol, request_id, extra=extra)


class PipesService(ModelService):
    """The store on ``state_dir`` behind the model's seam."""

    def __init__(
        self,
        state_dir: Path,
        region: str,
        account_id: str,
        delivers: Callable[[str], bool],
        clock: Clock = SYSTEM,
    ) -> None:
        self.api = Pipes(Store(state_dir / DATABASE), region, account_id, delivers, clock)
        super().__init__("pipes", self.api.operations(), render_error=_render_error)
        self._runner: Runner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def run_with(self, runner: Runner) -> None:
        """Run the pipes with ``runner`` from now on (the composition root gives it the queues
        and streams it reads; without one, pipes are only stored)."""
        self._runner = runner
        self._loop = asyncio.get_running_loop()
        self.api.changed = self._changed
        await runner.deploy(await asyncio.to_thread(self.api.pipes))

    async def deploy(self, stack: Stack) -> None:
        await asyncio.to_thread(self.api.deploy, stack.pipes)

    def _changed(self, docs: list[Doc]) -> None:
        """From a handler's thread: the runner follows on the loop, before the API answers."""
        assert self._loop is not None and self._runner is not None
        future = asyncio.run_coroutine_threadsafe(self._runner.deploy(docs), self._loop)
        future.result()

    async def close(self) -> None:
        self.api.changed = None
        if self._runner is not None:
            await self._runner.close()
        await asyncio.to_thread(self.api.store.close)
