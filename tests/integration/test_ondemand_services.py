"""Services a template declares nothing for are built on their first call, from a client or
from another service's delivery, and answer that call as if they had been there all along.

One ``lamina up`` (in-process, ports from the OS) on a template with one function and nothing
else; the tests run in file order: the idle check comes before anything calls a service.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from lamina.delivery import DeliveryError, Message
from tests.integration.gateway.support import TEMPLATES, Running, running

ACCOUNT = "123456789012"
REGION = "us-east-1"
# Services built on demand, by the database each would open.
ON_DEMAND = (
    "dynamodb",
    "ssm",
    "secretsmanager",
    "pipes",
    "kinesis",
    "firehose",
    "events",
    "scheduler",
    "sns",
    "stepfunctions",
)


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    state = tmp_path_factory.mktemp("ondemand")
    with running(TEMPLATES / "reload", state) as served:
        yield served


def _client(up: Running, name: str) -> Any:
    return boto3.client(
        name,
        endpoint_url=up.served.services_url,
        region_name=REGION,
        aws_access_key_id=up.served.access_key_id,
        aws_secret_access_key=up.served.secret_access_key,
    )


def _databases(up: Running) -> set[str]:
    state = up.lamina.settings.state_dir
    return {name for name in ON_DEMAND if (state / f"{name}.sqlite3").exists()}


def test_an_idle_up_opens_no_database_of_a_service_nothing_called(up: Running) -> None:
    """Started on a template with only a function, ``lamina up`` has created none of the
    databases of the services the template does not use, while health still lists every
    service as served."""
    assert _databases(up) == set()
    health = json.loads(_health(up))
    assert {"dynamodb", "sns", "events", "stepfunctions", "sqs"} <= set(health["services"])


def _health(up: Running) -> bytes:
    port = int(up.served.services_url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/_lamina/health")
        return connection.getresponse().read()
    finally:
        connection.close()


def test_a_first_call_builds_the_service_and_is_answered(up: Running) -> None:
    """boto3's first DynamoDB and SSM calls on a template without tables or parameters
    succeed as they would on a service built at start (the table is created, an item written
    and read back; a parameter stored and read), and the service's database exists after.
    A missing table's error is DynamoDB's own."""
    dynamodb = _client(up, "dynamodb")
    dynamodb.create_table(
        TableName="items",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName="items", Item={"id": {"S": "1"}, "v": {"S": "x"}})
    assert dynamodb.get_item(TableName="items", Key={"id": {"S": "1"}})["Item"]["v"] == {"S": "x"}
    with pytest.raises(dynamodb.exceptions.ResourceNotFoundException):
        dynamodb.get_item(TableName="missing", Key={"id": {"S": "1"}})
    ssm = _client(up, "ssm")
    ssm.put_parameter(Name="/app/x", Value="42", Type="String")
    assert ssm.get_parameter(Name="/app/x")["Parameter"]["Value"] == "42"
    assert {"dynamodb", "ssm"} <= _databases(up)
    assert "sns" not in _databases(up)


def test_services_built_on_demand_deliver_to_each_other(up: Running) -> None:
    """An EventBridge rule (EventBridge built by PutRule) targeting an SNS topic (SNS built by
    CreateTopic) subscribed by an SQS queue: PutEvents reaches the queue through both."""
    sqs, sns, events = _client(up, "sqs"), _client(up, "sns"), _client(up, "events")
    queue_url = sqs.create_queue(QueueName="landing")["QueueUrl"]
    queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:landing"
    topic = sns.create_topic(Name="relay")["TopicArn"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    events.put_rule(Name="orders", EventPattern=json.dumps({"source": ["shop"]}))
    events.put_targets(Rule="orders", Targets=[{"Id": "t", "Arn": topic}])
    events.put_events(
        Entries=[{"Source": "shop", "DetailType": "order", "Detail": json.dumps({"n": 7})}]
    )

    def received() -> list[dict[str, Any]]:
        got = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1).get("Messages", [])
        return [json.loads(m["Body"]) for m in got]

    deadline = time.monotonic() + 30
    bodies = received()
    while not bodies and time.monotonic() < deadline:  # each receive waits up to 1 s
        bodies = received()
    assert bodies[0]["detail"] == {"n": 7} and bodies[0]["source"] == "shop"


def test_a_pipe_made_on_demand_runs(up: Running) -> None:
    """A pipe created through the Pipes API (Pipes built by that call) runs at once: a
    message sent to its source queue reaches its target queue."""
    sqs = _client(up, "sqs")
    source = sqs.create_queue(QueueName="pipe-source")["QueueUrl"]
    target = sqs.create_queue(QueueName="pipe-target")["QueueUrl"]
    _client(up, "pipes").create_pipe(
        Name="relay",
        Source=f"arn:aws:sqs:{REGION}:{ACCOUNT}:pipe-source",
        Target=f"arn:aws:sqs:{REGION}:{ACCOUNT}:pipe-target",
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/pipe",
    )
    sqs.send_message(QueueUrl=source, MessageBody="through the pipe")
    deadline = time.monotonic() + 30
    got: list[dict[str, Any]] = []
    while not got and time.monotonic() < deadline:  # each receive waits up to 1 s
        got = sqs.receive_message(QueueUrl=target, WaitTimeSeconds=1).get("Messages", [])
    assert got and "through the pipe" in got[0]["Body"]


def test_a_delivery_builds_the_service_it_is_for(up: Running) -> None:
    """A delivery to a service nothing has called yet (Step Functions, as an EventBridge rule
    or a Scheduler schedule would send to it) builds it and gets its own answer: a state
    machine that does not exist is refused in Step Functions' words, and its database is
    there after."""
    assert "stepfunctions" not in _databases(up)
    missing = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:missing"
    with pytest.raises(DeliveryError) as refused:
        up.run(up.lamina.deliveries.deliver(missing, Message(body="{}")))
    assert "missing" in str(refused.value)
    assert "stepfunctions" in _databases(up)
    # Built now: its API answers the same state.
    machines = _client(up, "stepfunctions").list_state_machines()["stateMachines"]
    assert machines == []
