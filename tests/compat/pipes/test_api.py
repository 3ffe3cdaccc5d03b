"""EventBridge Pipes' API through boto3 on an in-process endpoint (``Served``): pipes made,
described, listed with filters and pages, updated, stopped and started with the states AWS
reports, tagged, deleted, refused with AWS's errors, and still there after the store reopens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lamina.services.pipes.service import PipesService
from tests.compat.protocols.served import Served

ACCOUNT = "123456789012"
REGION = "us-east-1"
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:source"
STREAM = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t/stream/2026-01-01T00:00:00.000"
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:sink"
TARGET = f"arn:aws:sqs:{REGION}:{ACCOUNT}:target"


class Up:
    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.service = PipesService(state_dir, REGION, ACCOUNT, lambda arn: "states" not in arn)
        self.served = Served([self.service])
        self.pipes = self.served.client("pipes")

    def close(self) -> None:
        self.served.close()
        self.service.api.store.close()


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    served = Up(tmp_path_factory.mktemp("pipes"))
    yield served
    served.close()


def _code(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return error.value.response["Error"]["Code"], error.value.response["Error"]["Message"]


def test_create_describe_update_delete(up: Up) -> None:
    """CreatePipe answers CREATING and DescribePipe then shows the pipe RUNNING with what was
    given; UpdatePipe keeps what it does not name and replaces a service's parameter object
    (``SqsQueueParameters``) as one, as AWS documents, answering UPDATING;
    DeletePipe answers DELETING and the pipe is gone (NotFoundException naming it)."""
    pipes: Any = up.pipes
    made = pipes.create_pipe(
        Name="crud",
        Source=QUEUE,
        SourceParameters={
            "SqsQueueParameters": {"BatchSize": 5},
            "FilterCriteria": {"Filters": [{"Pattern": '{"body": {"kind": ["order"]}}'}]},
        },
        Target=TARGET,
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/pipe",
        Tags={"team": "orders"},
    )
    assert made["CurrentState"] == "CREATING" and made["DesiredState"] == "RUNNING"
    assert made["Arn"] == f"arn:aws:pipes:{REGION}:{ACCOUNT}:pipe/crud"
    described = pipes.describe_pipe(Name="crud")
    assert described["CurrentState"] == "RUNNING"
    assert described["SourceParameters"]["SqsQueueParameters"] == {"BatchSize": 5}
    assert described["Tags"] == {"team": "orders"}
    assert described["CreationTime"] == made["CreationTime"]

    updated = pipes.update_pipe(
        Name="crud",
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/pipe",
        SourceParameters={"SqsQueueParameters": {"MaximumBatchingWindowInSeconds": 2}},
        Enrichment=FUNCTION,
    )
    assert updated["CurrentState"] == "UPDATING"
    described = pipes.describe_pipe(Name="crud")
    # AWS replaces a service's parameter object as one; the members beside it stay.
    assert described["SourceParameters"]["SqsQueueParameters"] == {
        "MaximumBatchingWindowInSeconds": 2
    }
    assert described["SourceParameters"]["FilterCriteria"]["Filters"][0]["Pattern"]
    assert described["Enrichment"] == FUNCTION

    assert pipes.delete_pipe(Name="crud")["CurrentState"] == "DELETING"
    with pytest.raises(ClientError) as missing:
        pipes.describe_pipe(Name="crud")
    assert _code(missing) == ("NotFoundException", "Pipe crud does not exist.")


def test_stop_and_start_report_states(up: Up) -> None:
    """StopPipe answers STOPPING and the pipe settles STOPPED (desired and current), StartPipe
    answers STARTING and it runs again; a pipe created STOPPED stays stopped."""
    pipes: Any = up.pipes
    pipes.create_pipe(Name="toggle", Source=QUEUE, Target=FUNCTION, RoleArn="arn:aws:iam::1:role/r")
    stopping = pipes.stop_pipe(Name="toggle")
    assert (stopping["DesiredState"], stopping["CurrentState"]) == ("STOPPED", "STOPPING")
    described = pipes.describe_pipe(Name="toggle")
    assert (described["DesiredState"], described["CurrentState"]) == ("STOPPED", "STOPPED")
    starting = pipes.start_pipe(Name="toggle")
    assert (starting["DesiredState"], starting["CurrentState"]) == ("RUNNING", "STARTING")
    assert pipes.describe_pipe(Name="toggle")["CurrentState"] == "RUNNING"
    pipes.create_pipe(
        Name="idle",
        Source=QUEUE,
        Target=FUNCTION,
        RoleArn="arn:aws:iam::1:role/r",
        DesiredState="STOPPED",
    )
    assert pipes.describe_pipe(Name="idle")["CurrentState"] == "STOPPED"
    for name in ("toggle", "idle"):
        pipes.delete_pipe(Name=name)


def test_list_filters_and_pages(up: Up) -> None:
    """ListPipes filters by name, source and target prefix and by state, and pages with
    Limit and NextToken through every pipe exactly once."""
    pipes: Any = up.pipes
    role = "arn:aws:iam::1:role/r"
    for i in range(5):
        pipes.create_pipe(Name=f"list-{i}", Source=QUEUE, Target=TARGET, RoleArn=role)
    pipes.create_pipe(
        Name="list-stream",
        Source=STREAM,
        SourceParameters={"DynamoDBStreamParameters": {"StartingPosition": "LATEST"}},
        Target=FUNCTION,
        RoleArn=role,
        DesiredState="STOPPED",
    )
    names = [p["Name"] for p in pipes.list_pipes(NamePrefix="list-")["Pipes"]]
    assert names == [*(f"list-{i}" for i in range(5)), "list-stream"]
    by_source = pipes.list_pipes(SourcePrefix=STREAM.split("/stream")[0])["Pipes"]
    assert [p["Name"] for p in by_source] == ["list-stream"]
    assert [p["Name"] for p in pipes.list_pipes(TargetPrefix=FUNCTION)["Pipes"]] == ["list-stream"]
    stopped = pipes.list_pipes(NamePrefix="list-", CurrentState="STOPPED")["Pipes"]
    assert [(p["Name"], p["DesiredState"]) for p in stopped] == [("list-stream", "STOPPED")]
    seen: list[str] = []
    token: dict[str, str] = {}
    while True:
        page = pipes.list_pipes(NamePrefix="list-", Limit=4, **token)
        seen += [p["Name"] for p in page["Pipes"]]
        if "NextToken" not in page:
            break
        token = {"NextToken": page["NextToken"]}
    assert seen == names
    paged = [
        p["Name"]
        for page in pipes.get_paginator("list_pipes").paginate(NamePrefix="list-")
        for p in page["Pipes"]
    ]
    assert paged == names
    for name in names:
        pipes.delete_pipe(Name=name)


def test_tags(up: Up) -> None:
    """Tags given at create, added and removed through the tag operations, are what
    ListTagsForResource answers; an ARN of no pipe is NotFoundException."""
    pipes: Any = up.pipes
    arn = pipes.create_pipe(
        Name="tagged",
        Source=QUEUE,
        Target=TARGET,
        RoleArn="arn:aws:iam::1:role/r",
        Tags={"a": "1"},
    )["Arn"]
    pipes.tag_resource(resourceArn=arn, tags={"b": "2", "c": "3"})
    pipes.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert pipes.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "2", "c": "3"}
    with pytest.raises(ClientError) as missing:
        pipes.list_tags_for_resource(resourceArn=arn + "-gone")
    assert missing.value.response["Error"]["Code"] == "NotFoundException"
    pipes.delete_pipe(Name="tagged")


def test_errors_are_aws_errors(up: Up) -> None:
    """A second pipe of the same name is a ConflictException naming it (with resourceId); a
    name outside the pattern, a source or target Lamina does not run, a DynamoDB stream without
    a StartingPosition and Step Functions with no such service are ValidationExceptions that
    say what; an unknown pipe is NotFoundException for Stop, Start, Update and Delete."""
    pipes: Any = up.pipes
    role = "arn:aws:iam::1:role/r"
    pipes.create_pipe(Name="dup", Source=QUEUE, Target=TARGET, RoleArn=role)
    with pytest.raises(ClientError) as conflict:
        pipes.create_pipe(Name="dup", Source=QUEUE, Target=TARGET, RoleArn=role)
    assert _code(conflict) == ("ConflictException", "Pipe dup already exists.")
    assert conflict.value.response["resourceId"] == "dup"
    pipes.delete_pipe(Name="dup")

    refusals = {
        "bad name!": (QUEUE, TARGET, {}),
        "kinesis": (f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/s", TARGET, {}),
        "ecs": (QUEUE, f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/c", {}),
        "sfn": (QUEUE, f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:m", {}),
        "nostart": (STREAM, TARGET, {}),
    }
    messages = {}
    for name, (source, target, extra) in refusals.items():
        with pytest.raises(ClientError) as refused:
            pipes.create_pipe(Name=name, Source=source, Target=target, RoleArn=role, **extra)
        code, messages[name] = _code(refused)
        assert code == "ValidationException", (name, messages[name])
    assert "kinesis" in messages["kinesis"] and "ecs" in messages["ecs"]
    assert "stateMachine:m" in messages["sfn"]
    assert "StartingPosition" in messages["nostart"]
    assert pipes.list_pipes()["Pipes"] == []

    for call in (pipes.stop_pipe, pipes.start_pipe, pipes.delete_pipe):
        with pytest.raises(ClientError) as missing:
            call(Name="nobody")
        assert _code(missing) == ("NotFoundException", "Pipe nobody does not exist.")
    with pytest.raises(ClientError) as missing:
        pipes.update_pipe(Name="nobody", RoleArn=role)
    assert missing.value.response["Error"]["Code"] == "NotFoundException"


def test_pipes_survive_reopening_the_store(up: Up, tmp_path: Path) -> None:
    """A pipe acknowledged by CreatePipe is on disk: a new service on the same state directory
    describes it, stopped state included."""
    pipes: Any = up.pipes
    pipes.create_pipe(
        Name="durable",
        Source=QUEUE,
        Target=TARGET,
        RoleArn="arn:aws:iam::1:role/r",
        DesiredState="STOPPED",
    )
    again = PipesService(up.state_dir, REGION, ACCOUNT, lambda arn: True)
    try:
        doc = again.api.describe_pipe({"Name": "durable"})
        assert (doc["Target"], doc["CurrentState"]) == (TARGET, "STOPPED")
    finally:
        again.api.store.close()
        pipes.delete_pipe(Name="durable")
