"""API Gateway's management API in process through the AWS CLI and boto3: keys made, listed,
updated with patch operations and deleted; usage plans and their keys; API Gateway's errors in
the words the CLI prints; and every change handed to the gateway's seam as the whole set."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lamina.model.apis import ApiKey, UsagePlan
from lamina.services.apigateway.service import ApiGatewayService
from tests.compat.protocols.served import Served


@pytest.fixture
def service(tmp_path: Path) -> ApiGatewayService:
    return ApiGatewayService(tmp_path, "us-east-1", "123456789012")


@pytest.fixture
def served(service: ApiGatewayService) -> Iterator[Served]:
    up = Served([service])
    yield up
    up.close()


def cli(served: Served, *args: str) -> Any:
    done = served.cli("apigateway", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else None


def test_keys_through_the_cli(served: Served, service: ApiGatewayService) -> None:
    """create-api-key, get-api-keys --include-values, update-api-key (enabled, name) and
    delete-api-key; the gateway's seam sees each change; an unknown key is NotFoundException."""
    told: list[tuple[list[ApiKey], list[UsagePlan]]] = []
    service.api.changed = lambda keys, plans: told.append((keys, plans))
    made = cli(served, "create-api-key", "--name", "cli-key", "--enabled")
    assert made["enabled"] is True and len(made["value"]) == 40 and len(made["id"]) == 10
    assert told[-1][0] == [ApiKey(made["id"], "cli-key", made["value"], True)]
    listed = cli(served, "get-api-keys", "--include-values")["items"]
    assert [(k["id"], k["value"]) for k in listed] == [(made["id"], made["value"])]
    patched = cli(
        served,
        "update-api-key",
        "--api-key",
        made["id"],
        "--patch-operations",
        "op=replace,path=/enabled,value=false",
        "op=replace,path=/name,value=renamed",
    )
    assert (patched["enabled"], patched["name"]) == (False, "renamed")
    assert told[-1][0][0].enabled is False
    cli(served, "delete-api-key", "--api-key", made["id"])
    assert told[-1][0] == []
    gone = served.cli("apigateway", "delete-api-key", "--api-key", made["id"])
    assert gone.returncode != 0
    assert "(NotFoundException)" in gone.stderr
    assert "Invalid API Key identifier specified" in gone.stderr


def test_plans_and_their_keys(served: Served, service: ApiGatewayService) -> None:
    """A plan with a throttle and a quota holds the keys added to it; the gateway's seam gets
    the plan with its limits and keys; a bad patch path and a duplicate key are refused."""
    told: list[tuple[list[ApiKey], list[UsagePlan]]] = []
    service.api.changed = lambda keys, plans: told.append((keys, plans))
    client = served.client("apigateway")
    key = client.create_api_key(name="k", value="a-value-of-twenty-chars!", enabled=True)
    plan = client.create_usage_plan(
        name="p",
        throttle={"rateLimit": 5.0, "burstLimit": 10},
        quota={"limit": 100, "period": "WEEK"},
    )
    client.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    (served_plan,) = told[-1][1]
    assert served_plan == UsagePlan(plan["id"], "p", (), (key["id"],), 5.0, 10, 100, "WEEK")
    assert client.get_usage_plans(keyId=key["id"])["items"][0]["id"] == plan["id"]
    with pytest.raises(client.exceptions.ConflictException):
        client.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    with pytest.raises(client.exceptions.BadRequestException):
        client.update_api_key(
            apiKey=key["id"], patchOperations=[{"op": "replace", "path": "/value", "value": "x"}]
        )
    with pytest.raises(client.exceptions.NotFoundException):
        client.create_usage_plan(name="q", apiStages=[{"apiId": "nope", "stage": "Prod"}])
    client.delete_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])
    assert told[-1][1][0].key_ids == ()


def test_lists_come_in_pages_boto3_paginators_follow(served: Served) -> None:
    """GetApiKeys and GetUsagePlans answer `limit` items with a `position` while more are left
    (25 by default): boto3's paginators with PageSize 2 walk all 5 keys and 3 plans once each
    (in id order),
    the CLI's auto-pagination too, and a bad position is BadRequestException."""
    client = served.client("apigateway")
    made = [
        client.create_api_key(name=f"k{n}", value=f"paged-key-value-number-{n}")["id"]
        for n in range(5)
    ]
    plans = [client.create_usage_plan(name=f"p{n}")["id"] for n in range(3)]
    first = client.get_api_keys(limit=2)
    assert len(first["items"]) == 2 and first["position"]
    pages = list(client.get_paginator("get_api_keys").paginate(PaginationConfig={"PageSize": 2}))
    assert [len(p["items"]) for p in pages] == [2, 2, 1]
    assert [k["id"] for p in pages for k in p["items"]] == sorted(made)
    assert "position" not in client.get_api_keys()
    walked = client.get_paginator("get_usage_plans").paginate(PaginationConfig={"PageSize": 2})
    assert [p["id"] for page in walked for p in page["items"]] == sorted(plans)
    listed = cli(served, "get-api-keys", "--page-size", "2")["items"]
    assert [k["id"] for k in listed] == sorted(made)
    bad = served.cli("apigateway", "get-api-keys", "--position", "not-a-position")
    assert bad.returncode != 0 and "(BadRequestException)" in bad.stderr
