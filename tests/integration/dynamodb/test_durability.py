"""Acknowledged writes survive ``kill -9`` of ``lamina up``, and the example application keeps
its items across restarts."""

from __future__ import annotations

import json
import signal
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.compat.dynamodb.harness import LaminaServer
from tests.integration.dynamodb.lamina_process import ROOT, LaminaProcess

pytestmark = pytest.mark.slow
ITEMS = ROOT / "examples" / "items"


def _table(client: Any) -> str:
    (name,) = client.list_tables()["TableNames"]
    return str(name)


def test_writes_survive_sigkill(tmp_path: Path) -> None:
    """Every PutItem, UpdateItem, BatchWriteItem and DeleteItem acknowledged before SIGKILL is
    there after ``lamina up`` starts again on the same state directory."""
    lamina = LaminaProcess(ITEMS, tmp_path / "state")
    lamina.start()
    client = lamina.client()
    try:
        table = _table(client)
        for i in range(150):
            client.put_item(TableName=table, Item={"id": {"S": f"item-{i}"}, "n": {"N": str(i)}})
        client.batch_write_item(
            RequestItems={
                table: [{"PutRequest": {"Item": {"id": {"S": f"batch-{i}"}}}} for i in range(25)]
            }
        )
        client.update_item(
            TableName=table,
            Key={"id": {"S": "item-7"}},
            UpdateExpression="SET n = n + :one",
            ExpressionAttributeValues={":one": {"N": "1000"}},
        )
        client.delete_item(TableName=table, Key={"id": {"S": "item-8"}})
    finally:
        client.close()
        lamina.kill(signal.SIGKILL)

    lamina.start()
    client = lamina.client()
    try:
        items = []
        start: dict[str, Any] = {}
        while True:
            page = client.scan(TableName=table, **start)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                break
            start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}
        ids = {i["id"]["S"] for i in items}
        assert ids == {f"item-{i}" for i in range(150) if i != 8} | {
            f"batch-{i}" for i in range(25)
        }
        seven = client.get_item(TableName=table, Key={"id": {"S": "item-7"}})["Item"]
        assert seven["n"] == {"N": "1007"}
    finally:
        client.close()
        lamina.kill(signal.SIGTERM)


def _http(method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def test_example_items_keeps_its_items_across_restarts(tmp_path: Path) -> None:
    """examples/items stores what POST /items creates in its DynamoDB table through boto3;
    after a restart GET /items and GET /items/{id} still find it."""
    lamina = LaminaProcess(ITEMS, tmp_path / "state")
    lamina.start()
    try:
        created = _http("POST", f"{lamina.api}/Prod/items", {"name": "kept", "price": 1.5})
    finally:
        lamina.kill(signal.SIGTERM)
    lamina.start()
    try:
        listed = _http("GET", f"{lamina.api}/Prod/items")
        assert created in listed["items"]
        assert _http("GET", f"{lamina.api}/Prod/items/{created['id']}") == created
    finally:
        lamina.kill(signal.SIGTERM)


def test_endpoint_option_sends_dynamodb_elsewhere(tmp_path: Path) -> None:
    """With ``--endpoint dynamodb=URL`` Lamina serves no DynamoDB of its own and the function's
    boto3 writes to the backend at URL (through ``AWS_ENDPOINT_URL_DYNAMODB``)."""
    backend = LaminaServer()
    # Like DynamoDB Local, the backend accepts any credentials: the function signs with Lamina's.
    backend.endpoint.door = None
    service = backend.attach(tmp_path / "backend")
    client = backend.client()
    lamina = LaminaProcess(ITEMS, tmp_path / "state", "--endpoint", f"dynamodb={backend.url}")
    try:
        lamina.start()
        assert "dynamodb" not in lamina.health["services"]
        table = "items-ItemsTable-2DV9XY6EHAJZO"
        client.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        created = _http("POST", f"{lamina.api}/Prod/items", {"name": "elsewhere"})
        stored = client.get_item(TableName=table, Key={"id": {"S": created["id"]}})
        assert stored["Item"]["name"] == {"S": "elsewhere"}
    finally:
        lamina.kill(signal.SIGTERM)
        client.close()
        backend.detach(service)
        backend.close()
