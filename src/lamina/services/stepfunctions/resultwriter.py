"""A distributed Map's ``ResultWriter``: its iterations' results written to Lamina's S3, as AWS
lays them out, instead of returned in the state's output.

Under ``Parameters``/``Arguments`` ``Bucket`` and ``Prefix`` it writes, in the folder
``PREFIX/MAP_RUN_ID/``, ``SUCCEEDED_0.json`` and ``FAILED_0.json`` (a JSON array each, one entry
per iteration: ``ExecutionArn``, ``Name``, ``Input``/``Output`` as JSON text, ``Status``,
``Error``/``Cause`` for a failure, dates, ``StateMachineArn``), only the ones that have entries,
then ``manifest.json`` naming them (``DestinationBucket``, ``MapRunArn``, ``ResultFiles`` by
status with each file's ``Key`` and ``Size``). The Map's output is then ``{"MapRunArn": ...,
"ResultWriterDetails": {"Bucket": ..., "Key": ".../manifest.json"}}``. A write S3 refuses is
``States.ResultWriterFailed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lamina import fastjson, timestamps
from lamina.services.stepfunctions.tasks import Tasks
from lamina.states import Scope, State, StatesError, jsonata, payload
from lamina.states.processing import bindings_for

RESULT_WRITER_FAILED = "States.ResultWriterFailed"


@dataclass(frozen=True, slots=True)
class Outcome:
    """One iteration's end: its input and either its output or its error and cause."""

    index: int
    input: Any
    output: Any = None
    error: str | None = None
    cause: str | None = None


async def write(
    tasks: Tasks,
    state: State,
    raw_input: Any,
    scope: Scope,
    map_run: str,
    outcomes: list[Outcome],
    times: tuple[float, float],
) -> dict[str, Any]:
    writer = dict(state.fields["ResultWriter"])
    if state.jsonata:
        where = jsonata.resolve(
            writer.get("Arguments") or {}, bindings_for(scope, raw_input), "ResultWriter"
        )
    else:
        where = payload.template(writer.get("Parameters") or {}, raw_input, scope)
    if not isinstance(where, dict) or "Bucket" not in where:
        raise StatesError(RESULT_WRITER_FAILED, "The ResultWriter needs a Bucket")
    bucket = str(where["Bucket"])
    prefix = str(where.get("Prefix") or "").strip("/")
    run_id = map_run.rsplit(":", 1)[-1]
    folder = f"{prefix}/{run_id}" if prefix else run_id
    # The iterations' "child executions" as AWS names them: under MACHINE/MAPSTATE.
    head, tail = map_run.split(":mapRun:", 1)
    label = tail.rsplit(":", 1)[0]
    machine = f"{head}:stateMachine:{label}"
    files: dict[str, list[dict[str, Any]]] = {"FAILED": [], "PENDING": [], "SUCCEEDED": []}
    for status in ("SUCCEEDED", "FAILED"):
        entries = [
            _entry(o, status, f"{head}:execution:{label}:{run_id}-{o.index}", machine, times)
            for o in outcomes
            if (o.error is None) == (status == "SUCCEEDED")
        ]
        if not entries:
            continue
        key = f"{folder}/{status}_0.json"
        body = fastjson.dumps(entries)
        await _put(tasks, bucket, key, body)
        files[status].append({"Key": key, "Size": len(body)})
    manifest = {"DestinationBucket": bucket, "MapRunArn": map_run, "ResultFiles": files}
    key = f"{folder}/manifest.json"
    await _put(tasks, bucket, key, fastjson.dumps(manifest))
    return {"MapRunArn": map_run, "ResultWriterDetails": {"Bucket": bucket, "Key": key}}


def _entry(
    o: Outcome, status: str, arn: str, machine: str, times: tuple[float, float]
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "ExecutionArn": arn,
        "Input": fastjson.dumps_text(o.input),
        "InputDetails": {"Included": True},
        "Name": arn.rsplit(":", 1)[-1],
        "StartDate": timestamps.iso_millis(times[0]),
        "StateMachineArn": machine,
        "Status": status,
        "StopDate": timestamps.iso_millis(times[1]),
    }
    if status == "SUCCEEDED":
        entry["Output"] = fastjson.dumps_text(o.output)
        entry["OutputDetails"] = {"Included": True}
    else:
        entry["Error"] = o.error
        entry["Cause"] = o.cause
    return entry


async def _put(tasks: Tasks, bucket: str, key: str, body: bytes) -> None:
    try:
        await tasks.s3("PutObject", {"Bucket": bucket, "Key": key, "Body": body})
    except StatesError as failure:
        raise StatesError(RESULT_WRITER_FAILED, f"{failure.error}: {failure.cause}") from None
