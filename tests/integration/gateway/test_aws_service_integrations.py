"""REST ``type: aws`` integrations to Lamina's own services, through a real `lamina up`
(in-process) over real HTTP: SQS (path form, form-encoded SendMessage), DynamoDB (action form,
PutItem/GetItem with X-Amz-Target) and EventBridge (PutEvents); what the integration did is
checked with boto3 against the services endpoint, as any client would. S3 (path form, the
object key mapped from the method's path parameter)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from .support import Running, running

pytestmark = pytest.mark.slow
TEMPLATE = Path(__file__).parent / "mapping_app" / "template.yaml"
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def lamina(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running(TEMPLATE, tmp_path_factory.mktemp("awsservice")) as served:
        yield served


def client(lamina: Running, service: str) -> Any:
    settings = lamina.lamina.settings
    return boto3.client(
        service,
        endpoint_url=lamina.served.services_url,
        region_name=settings.region,
        aws_access_key_id=settings.access_key_id,
        aws_secret_access_key=settings.secret_access_key,
    )


def test_sqs_send_message(lamina: Running) -> None:
    """The request body becomes the queue's message (the template's form-encoded SendMessage)."""
    reply = lamina.request("POST", "/Prod/queue", json.dumps({"pet": "Rex"}), JSON)
    assert reply.status == 200, reply.body
    assert reply.json() == {"sent": True}
    sqs = client(lamina, "sqs")
    url = dict(lamina.served.queues)["Queue"]
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
    assert [json.loads(m["Body"]) for m in messages] == [{"pet": "Rex"}]


def test_dynamodb_put_and_get_item(lamina: Running) -> None:
    """PutItem stores what the template builds (X-Amz-Target from the action form); GetItem's
    answer is mapped back by its response template."""
    put = lamina.request("PUT", "/Prod/items/p1", json.dumps({"name": "Rex"}), JSON)
    assert put.status == 200, put.body
    assert put.json() == {"stored": "p1"}
    got = lamina.get("/Prod/items/p1")
    assert got.status == 200, got.body
    assert got.json() == {"id": "p1", "name": "Rex"}
    table = [t for t in client(lamina, "dynamodb").list_tables()["TableNames"] if "Table" in t]
    item = client(lamina, "dynamodb").get_item(TableName=table[0], Key={"id": {"S": "p1"}})
    assert item["Item"]["name"] == {"S": "Rex"}


def test_eventbridge_put_events(lamina: Running) -> None:
    """PutEvents answers with no failed entry, mapped by the response template."""
    reply = lamina.request("POST", "/Prod/events", json.dumps({"pet": "Rex"}), JSON)
    assert reply.status == 200, reply.body
    assert reply.json() == {"failed": 0}


def test_http_api_first_class_sqs(lamina: Running) -> None:
    """SQS-SendMessage builds MessageBody from the body's JSONPath, a path parameter and a
    header; SQS-ReceiveMessage on the same queue answers with that message."""
    reply = lamina.request(
        "POST",
        "/fc/send/dogs",
        json.dumps({"pet": {"name": "Rex"}}),
        {"Content-Type": "application/json", "X-Team": "blue"},
    )
    assert reply.status == 200, reply.body
    received = lamina.get("/fc/receive")
    assert received.status == 200, received.body
    assert b"Rex of dogs (blue)" in received.body


def test_http_api_first_class_put_events(lamina: Running) -> None:
    """EventBridge-PutEvents sends the body as the event's Detail: no failed entry."""
    reply = lamina.request("POST", "/fc/put-events", json.dumps({"pet": "Rex"}), JSON)
    assert reply.status == 200, reply.body
    assert reply.json()["FailedEntryCount"] == 0


def test_http_api_first_class_step_functions(lamina: Running) -> None:
    """StepFunctions-StartExecution starts the template's machine with the body as input (its
    answer is the API's: executionArn, startDate); StartSyncExecution runs an Express machine
    and answers its output."""
    reply = lamina.request("POST", "/fc/start", json.dumps({"pet": "Rex"}), JSON)
    assert reply.status == 200, reply.body
    arn = reply.json()["executionArn"]
    assert ":execution:adoption:" in arn
    sfn = client(lamina, "stepfunctions")

    def finished() -> dict[str, Any] | None:
        found = sfn.describe_execution(executionArn=arn)
        return found if found["status"] != "RUNNING" else None

    deadline = time.monotonic() + 30
    while (done := finished()) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert done is not None and done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == {"adopted": "Rex"}
    synced = lamina.request("POST", "/fc/start-sync", json.dumps({"pet": "Tom"}), JSON)
    assert synced.status == 200, synced.body
    assert synced.json()["status"] == "SUCCEEDED"
    assert json.loads(synced.json()["output"]) == {"adopted": "Tom"}


def test_s3_put_and_get_through_the_path_form(lamina: Running) -> None:
    """PUT /objects/{key} stores the body as the object (its Content-Type kept) at the key the
    path parameter maps into s3:path/{bucket}/{object}; GET answers the object's bytes through
    the default response (passthrough); a missing object selects the 4xx response."""
    body = json.dumps({"pet": "Rex"})
    reply = lamina.request("PUT", "/Prod/objects/rex.json", body, JSON)
    assert reply.status == 200, reply.body
    assert reply.json() == {"stored": "rex.json"}
    s3 = client(lamina, "s3")
    (bucket,) = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    stored = s3.get_object(Bucket=bucket, Key="rex.json")
    assert stored["Body"].read() == body.encode()
    assert stored["ContentType"] == "application/json"
    got = lamina.get("/Prod/objects/rex.json", headers=JSON)
    assert (got.status, got.json()) == (200, {"pet": "Rex"})
    missing = lamina.get("/Prod/objects/none.json", headers=JSON)
    assert (missing.status, missing.json()) == (404, {"missing": "none.json"})


def test_the_integration_credentials_role_is_recorded(lamina: Running) -> None:
    """An integration's credentials (the role API Gateway would assume) is kept and shown by
    GetResources with the integration's type and URI."""
    apigateway = client(lamina, "apigateway")
    resources = {
        r["path"]: r
        for api in apigateway.get_rest_apis()["items"]
        for r in apigateway.get_resources(restApiId=api["id"])["items"]
    }
    integration = resources["/queue"]["resourceMethods"]["POST"]["methodIntegration"]
    assert integration["type"] == "AWS"
    assert ":sqs:path/123456789012/" in integration["uri"]
    assert integration["credentials"] == "arn:aws:iam::123456789012:role/apigateway-sqs"
