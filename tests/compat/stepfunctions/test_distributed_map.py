"""A distributed Map reads its items from Lamina's S3 (ItemReader): a JSON array, JSON Lines and
a CSV object (rows keyed by the header row) with s3:getObject, the bucket's objects with
s3:listObjectsV2, capped by MaxItems; ItemBatcher groups them; a missing object fails the Map
with States.ItemReaderFailed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.compat.protocols.served import Served
from tests.compat.stepfunctions.conftest import finished, machine

BUCKET = "map-items"


def _map(reader: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemReader": reader,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Echo",
                    "States": {"Echo": {"Type": "Pass", "End": True}},
                },
                **(extra or {}),
                "End": True,
            }
        },
    }


@pytest.fixture(scope="module")
def s3(served: Served) -> Any:
    client = served.client("s3")
    client.create_bucket(Bucket=BUCKET)
    client.put_object(Bucket=BUCKET, Key="in/items.json", Body=b'[{"n": 1}, {"n": 2}, {"n": 3}]')
    client.put_object(Bucket=BUCKET, Key="in/items.jsonl", Body=b'{"n": 1}\n{"n": 2}\n')
    client.put_object(Bucket=BUCKET, Key="in/items.csv", Body=b"id,name\n1,a\n2,b\n")
    return client


def _run(sfn: Any, name: str, definition: dict[str, Any], data: Any = None) -> dict[str, Any]:
    arn = machine(sfn, name, definition)
    started = sfn.start_execution(stateMachineArn=arn, input=json.dumps(data or {}))
    return finished(sfn, started["executionArn"])


@pytest.mark.parametrize(
    ("key", "kind", "expected"),
    [
        ("in/items.json", "JSON", [{"n": 1}, {"n": 2}, {"n": 3}]),
        ("in/items.jsonl", "JSONL", [{"n": 1}, {"n": 2}]),
        ("in/items.csv", "CSV", [{"id": "1", "name": "a"}, {"id": "2", "name": "b"}]),
    ],
)
def test_items_are_read_from_an_s3_object(
    s3: Any, sfn: Any, key: str, kind: str, expected: list[Any]
) -> None:
    """Each InputType is parsed as AWS does (CSV values stay text); the Bucket comes from the
    execution's input through a JSONPath parameter."""
    reader = {
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": kind, "CSVHeaderLocation": "FIRST_ROW"},
        "Parameters": {"Bucket.$": "$.bucket", "Key": key},
    }
    done = _run(sfn, f"read-{kind.lower()}", _map(reader), {"bucket": BUCKET})
    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["output"]) == expected


def test_listed_objects_batched_and_capped(s3: Any, sfn: Any) -> None:
    """listObjectsV2 gives each object under the prefix (Key, Size...); MaxItems keeps the first
    two and ItemBatcher hands them to one iteration as {"Items": [...]}."""
    reader = {
        "Resource": "arn:aws:states:::s3:listObjectsV2",
        "ReaderConfig": {"MaxItems": 2},
        "Parameters": {"Bucket": BUCKET, "Prefix": "in/"},
    }
    done = _run(sfn, "listed", _map(reader, {"ItemBatcher": {"MaxItemsPerBatch": 5}}))
    assert done["status"] == "SUCCEEDED", done
    (batch,) = json.loads(done["output"])
    assert [item["Key"] for item in batch["Items"]] == ["in/items.csv", "in/items.json"]
    assert batch["Items"][0]["Size"] == len(b"id,name\n1,a\n2,b\n")


def test_a_missing_object_fails_the_map_with_item_reader_failed(s3: Any, sfn: Any) -> None:
    """S3's NoSuchKey becomes the Map's States.ItemReaderFailed, its cause naming S3's error."""
    reader = {
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "JSON"},
        "Parameters": {"Bucket": BUCKET, "Key": "in/nothing.json"},
    }
    done = _run(sfn, "missing-items", _map(reader))
    assert (done["status"], done["error"]) == ("FAILED", "States.ItemReaderFailed")
    assert "NoSuchKey" in done["cause"]


def test_results_are_written_to_s3_with_a_manifest(s3: Any, sfn: Any) -> None:
    """With a ResultWriter the Map answers where its results are: manifest.json under
    PREFIX/MAP_RUN_ID/ names SUCCEEDED_0.json and FAILED_0.json, which hold each iteration's
    input and output (or error and cause, a failure ToleratedFailureCount let pass)."""
    definition = _map(
        {
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "JSON"},
            "Parameters": {"Bucket": BUCKET, "Key": "in/items.json"},
        },
        {
            "ToleratedFailureCount": 1,
            "ResultWriter": {
                "Resource": "arn:aws:states:::s3:putObject",
                "Parameters": {"Bucket": BUCKET, "Prefix": "out"},
            },
        },
    )
    definition["States"]["Each"]["ItemProcessor"]["States"] = {
        "Two?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.n", "NumericEquals": 2, "Next": "Boom"}],
            "Default": "Echo",
        },
        "Boom": {"Type": "Fail", "Error": "Two", "Cause": "two is refused"},
        "Echo": {"Type": "Pass", "End": True},
    }
    definition["States"]["Each"]["ItemProcessor"]["StartAt"] = "Two?"
    done = _run(sfn, "written", definition)
    assert done["status"] == "SUCCEEDED", done
    output = json.loads(done["output"])
    where = output["ResultWriterDetails"]
    assert where["Bucket"] == BUCKET and where["Key"].startswith("out/")
    assert (
        where["Key"].endswith("/manifest.json") and ":mapRun:written/Each:" in output["MapRunArn"]
    )

    manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=where["Key"])["Body"].read())
    assert manifest["MapRunArn"] == output["MapRunArn"]
    files = manifest["ResultFiles"]
    assert files["PENDING"] == []
    succeeded = json.loads(
        s3.get_object(Bucket=BUCKET, Key=files["SUCCEEDED"][0]["Key"])["Body"].read()
    )
    assert [json.loads(e["Output"]) for e in succeeded] == [{"n": 1}, {"n": 3}]
    assert {e["Status"] for e in succeeded} == {"SUCCEEDED"}
    (failed,) = json.loads(
        s3.get_object(Bucket=BUCKET, Key=files["FAILED"][0]["Key"])["Body"].read()
    )
    assert (failed["Error"], failed["Cause"], json.loads(failed["Input"])) == (
        "Two",
        "two is refused",
        {"n": 2},
    )


def test_a_distributed_map_has_a_map_run(s3: Any, sfn: Any) -> None:
    """A distributed Map's run is listed for its execution and described with its item counts
    and limits once done; UpdateMapRun's limits are recorded; an unknown run is
    ResourceNotFound."""
    reader = {
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "JSON"},
        "Parameters": {"Bucket": BUCKET, "Key": "in/items.json"},
    }
    done = _run(sfn, "mapped", _map(reader, {"MaxConcurrency": 2}))
    assert done["status"] == "SUCCEEDED", done
    (listed,) = sfn.list_map_runs(executionArn=done["executionArn"])["mapRuns"]
    assert ":mapRun:mapped/Each:" in listed["mapRunArn"]
    described = sfn.describe_map_run(mapRunArn=listed["mapRunArn"])
    assert described["status"] == "SUCCEEDED" and described["maxConcurrency"] == 2
    assert (described["itemCounts"]["total"], described["itemCounts"]["succeeded"]) == (3, 3)
    sfn.update_map_run(mapRunArn=listed["mapRunArn"], toleratedFailureCount=5)
    assert sfn.describe_map_run(mapRunArn=listed["mapRunArn"])["toleratedFailureCount"] == 5
    history = sfn.get_execution_history(executionArn=done["executionArn"])["events"]
    assert "MapRunStarted" in [e["type"] for e in history]
    with pytest.raises(ClientError) as raised:
        sfn.describe_map_run(mapRunArn=listed["mapRunArn"][:-4] + "beef")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFound"


def test_each_iteration_is_a_child_execution_of_the_map_run(s3: Any, sfn: Any) -> None:
    """ListExecutions by the Map Run's ARN lists one child execution per iteration, each
    ``execution:MACHINE/MAP:ID`` of the machine ``MACHINE/MAP``, SUCCEEDED, described with its
    item as input and its result as output; the parent's own listing does not show them."""
    reader = {
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "JSON"},
        "Parameters": {"Bucket": BUCKET, "Key": "in/items.json"},
    }
    done = _run(sfn, "children", _map(reader))
    assert done["status"] == "SUCCEEDED", done
    (run,) = sfn.list_map_runs(executionArn=done["executionArn"])["mapRuns"]
    children = sfn.list_executions(mapRunArn=run["mapRunArn"])["executions"]
    assert len(children) == 3
    assert all(c["status"] == "SUCCEEDED" and c["mapRunArn"] == run["mapRunArn"] for c in children)
    assert all(":execution:children/Each:" in c["executionArn"] for c in children)
    assert all(c["stateMachineArn"].endswith(":stateMachine:children/Each") for c in children)
    described = [sfn.describe_execution(executionArn=c["executionArn"]) for c in children]
    assert sorted(json.loads(d["input"])["n"] for d in described) == [1, 2, 3]
    assert all(json.loads(d["output"]) == json.loads(d["input"]) for d in described)
    parent = sfn.list_executions(stateMachineArn=done["stateMachineArn"])["executions"]
    assert [e["executionArn"] for e in parent] == [done["executionArn"]]
    with pytest.raises(ClientError) as raised:
        sfn.list_executions(mapRunArn=run["mapRunArn"][:-4] + "beef")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFound"


def test_a_failed_map_run_counts_what_succeeded_failed_and_was_aborted(s3: Any, sfn: Any) -> None:
    """A distributed Map over three items, one at a time, whose second item fails: its Map Run
    is FAILED with the first item counted as succeeded (it was counted as none), the second as
    failed, and the third as succeeded or aborted, as far as it got before the Map stopped."""
    reader = {
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "JSON"},
        "Parameters": {"Bucket": BUCKET, "Key": "in/items.json"},
    }
    definition = _map(reader, {"MaxConcurrency": 1})
    definition["States"]["Each"]["ItemProcessor"]["StartAt"] = "Second?"
    definition["States"]["Each"]["ItemProcessor"]["States"] = {
        "Second?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.n", "NumericEquals": 2, "Next": "Fail"}],
            "Default": "Echo",
        },
        "Fail": {"Type": "Fail", "Error": "Two", "Cause": "the second item"},
        "Echo": {"Type": "Pass", "End": True},
    }
    done = _run(sfn, "counted", definition)
    assert done["status"] == "FAILED", done
    (run,) = sfn.list_map_runs(executionArn=done["executionArn"])["mapRuns"]
    counts = sfn.describe_map_run(mapRunArn=run["mapRunArn"])["itemCounts"]
    assert counts["failed"] == 1 and counts["succeeded"] >= 1, counts
    assert counts["succeeded"] + counts["failed"] + counts["aborted"] == 3, counts
