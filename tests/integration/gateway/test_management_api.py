"""API Gateway's management API with a real Lamina and boto3's ``apigateway`` client: keys and
usage plans made through the API open a keyed method at once (and disabling or removing the
key closes it again), GetUsage reports the calls the gateway counted, the template's keys and
plans and REST APIs are listed with the gateway's ids, what the API made survives a restart,
and bad or unsupported requests get API Gateway's errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from .support import Running, running

TEMPLATE = Path(__file__).parent / "keys_app" / "template.yaml"
VALUE = "made-through-the-management-api-0001"


@pytest.fixture(scope="module")
def lamina(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running(TEMPLATE, tmp_path_factory.mktemp("mgmt")) as served:
        yield served


def apigateway(lamina: Running) -> Any:
    settings = lamina.lamina.settings
    return boto3.client(
        "apigateway",
        endpoint_url=lamina.served.services_url,
        region_name=settings.region,
        aws_access_key_id=settings.access_key_id,
        aws_secret_access_key=settings.secret_access_key,
    )


def rest_api(client: Any) -> Any:
    """The template's SAM API named Api (ByAuthorizer is the other)."""
    (api,) = [a for a in client.get_rest_apis()["items"] if a["name"] == "Api"]
    return api


def keyed(lamina: Running, key: str) -> int:
    return lamina.get("/Prod/keyed", headers={"x-api-key": key}).status


def make_plan(client: Any, value: str) -> tuple[str, str]:
    api = rest_api(client)
    key = client.create_api_key(name="made", value=value, enabled=True)
    plan = client.create_usage_plan(
        name="api-plan",
        apiStages=[{"apiId": api["id"], "stage": "Prod"}],
        throttle={"rateLimit": 100.0, "burstLimit": 100},
        quota={"limit": 50, "period": "DAY"},
    )
    client.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    return key["id"], plan["id"]


def test_keys_and_plans_made_through_the_api_take_effect_at_once(lamina: Running) -> None:
    """A key is refused until a plan covering the stage holds it; then it gets in, is refused
    again while disabled and once removed from the plan; GetUsage counts its admitted calls."""
    client = apigateway(lamina)
    assert keyed(lamina, VALUE) == 403
    key_id, plan_id = make_plan(client, VALUE)
    assert [keyed(lamina, VALUE) for _ in range(3)] == [200, 200, 200]
    client.update_api_key(
        apiKey=key_id, patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}]
    )
    assert keyed(lamina, VALUE) == 403
    assert client.get_api_key(apiKey=key_id)["enabled"] is False
    client.update_api_key(
        apiKey=key_id, patchOperations=[{"op": "replace", "path": "/enabled", "value": "true"}]
    )
    assert keyed(lamina, VALUE) == 200
    today = dt.datetime.now(dt.UTC).date().isoformat()
    usage = client.get_usage(usagePlanId=plan_id, startDate=today, endDate=today)
    assert usage["items"] == {key_id: [[4, 46]]}
    keys = client.get_usage_plan_keys(usagePlanId=plan_id)["items"]
    assert [(k["id"], k["value"], k["type"]) for k in keys] == [(key_id, VALUE, "API_KEY")]
    client.delete_usage_plan_key(usagePlanId=plan_id, keyId=key_id)
    assert keyed(lamina, VALUE) == 403
    client.delete_api_key(apiKey=key_id)
    with pytest.raises(ClientError) as gone:
        client.get_api_key(apiKey=key_id)
    assert gone.value.response["Error"]["Code"] == "NotFoundException"


def test_the_template_is_listed_with_the_gateways_ids(lamina: Running) -> None:
    """The template's keys (values only when asked) and SAM's plan are listed; the REST API,
    its Prod stage and its resources are the ones the gateway serves (boto3's paginator walks
    the resources in pages)."""
    client = apigateway(lamina)
    keys = {k["name"]: k for k in client.get_api_keys(includeValues=True)["items"]}
    assert keys["fixed-key"]["value"] == "lamina-test-key-0123456789"
    assert keys["disabled-key"]["enabled"] is False
    assert "value" not in client.get_api_keys()["items"][0]
    plans = client.get_usage_plans(keyId=keys["fixed-key"]["id"])["items"]
    assert [p["quota"] for p in plans] == [{"limit": 8, "period": "DAY", "offset": 0}]
    api = rest_api(client)
    (stage,) = client.get_stages(restApiId=api["id"])["item"]
    assert stage["stageName"] == "Prod"
    resources = {r["path"]: r for r in client.get_resources(restApiId=api["id"])["items"]}
    assert resources["/keyed"]["resourceMethods"]["GET"]["apiKeyRequired"] is True
    assert resources["/keyed"]["parentId"] == resources["/"]["id"]
    paged = client.get_paginator("get_resources").paginate(
        restApiId=api["id"], PaginationConfig={"PageSize": 3}
    )
    pages = [[r["path"] for r in page["items"]] for page in paged]
    assert [len(p) for p in pages] == [3, 1] and sorted(
        p for page in pages for p in page
    ) == sorted(resources)
    reply = lamina.get("/Prod/open")
    assert reply.status == 200


def test_a_template_plans_method_throttle_replaces_its_plan_throttle(lamina: Running) -> None:
    """ApiStages[].Throttle {"/keyed/GET": burst 2, a rate too slow to refill}: the method key
    gets 2 calls to GET /keyed, then 429 Too Many Requests with API Gateway's body and error
    type, while another method of the stage keeps the plan's own throttle (burst 50); the
    plan is listed with the throttle under its stage."""
    headers = {"x-api-key": "lamina-method-key-0123456789"}
    replies = [lamina.get("/Prod/keyed", headers=headers) for _ in range(4)]
    assert [r.status for r in replies] == [200, 200, 429, 429]
    assert replies[-1].json() == {"message": "Too Many Requests"}
    assert replies[-1].header("x-amzn-ErrorType") == "TooManyRequestsException"
    assert [lamina.get("/Prod/other", headers=headers).status for _ in range(5)] == [200] * 5
    client = apigateway(lamina)
    (plan,) = [p for p in client.get_usage_plans()["items"] if p["name"] == "per-method"]
    assert plan["apiStages"][0]["throttle"] == {"/keyed/GET": {"rateLimit": 0.001, "burstLimit": 2}}


def test_method_throttles_through_create_and_update_usage_plan(lamina: Running) -> None:
    """CreateUsagePlan's apiStages[].throttle is exact on its method for a key of the plan;
    UpdateUsagePlan's documented patch path (/apiStages/{apiId}:{stage}/throttle/~1keyed/GET/
    burstLimit) changes it at once with a full bucket, and removing it leaves the plan's own
    throttle; a key naming no method of the API is BadRequestException."""
    client = apigateway(lamina)
    api = rest_api(client)
    value = "method-throttled-through-the-api-01"
    key = client.create_api_key(name="per-method", value=value, enabled=True)
    plan = client.create_usage_plan(
        name="api-method-plan",
        apiStages=[
            {
                "apiId": api["id"],
                "stage": "Prod",
                "throttle": {"/keyed/GET": {"burstLimit": 1, "rateLimit": 0.001}},
            }
        ],
        throttle={"rateLimit": 100.0, "burstLimit": 100},
    )
    client.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert [keyed(lamina, value) for _ in range(3)] == [200, 429, 429]
    at = f"/apiStages/{api['id']}:Prod/throttle/~1keyed/GET"
    updated = client.update_usage_plan(
        usagePlanId=plan["id"],
        patchOperations=[{"op": "replace", "path": f"{at}/burstLimit", "value": "3"}],
    )
    assert updated["apiStages"][0]["throttle"]["/keyed/GET"]["burstLimit"] == 3
    assert [keyed(lamina, value) for _ in range(4)] == [200, 200, 200, 429]
    client.update_usage_plan(usagePlanId=plan["id"], patchOperations=[{"op": "remove", "path": at}])
    assert "throttle" not in client.get_usage_plan(usagePlanId=plan["id"])["apiStages"][0]
    assert [keyed(lamina, value) for _ in range(5)] == [200] * 5
    with pytest.raises(ClientError) as bad:
        client.update_usage_plan(
            usagePlanId=plan["id"],
            patchOperations=[
                {
                    "op": "replace",
                    "path": f"/apiStages/{api['id']}:Prod/throttle/~1nothing/GET/rateLimit",
                    "value": "1",
                }
            ],
        )
    assert bad.value.response["Error"]["Code"] == "BadRequestException"


def test_an_authorizer_sourced_api_key(lamina: Running) -> None:
    """ApiKeySourceType AUTHORIZER: the Lambda authorizer's usageIdentifierKey is the call's
    API key (in the event's identity), not the x-api-key header: the method key as the
    token gets in, an unknown one is 403 Forbidden even with a good x-api-key; GetRestApis
    says where the API's keys come from."""
    (api,) = [a for a in apigateway(lamina).get_rest_apis()["items"] if a["name"] != "Api"]
    assert api["apiKeySource"] == "AUTHORIZER"
    host = f"{api['id']}.execute-api.localhost"
    key = "lamina-method-key-0123456789"
    reply = lamina.get("/Prod/via-authorizer", headers={"Authorization": key}, host=host)
    assert reply.status == 200, reply.body
    assert reply.json()["apiKey"] == key
    refused = lamina.get(
        "/Prod/via-authorizer", headers={"Authorization": "unknown", "x-api-key": key}, host=host
    )
    assert (refused.status, refused.json()) == (403, {"message": "Forbidden"})


def test_bad_and_unsupported_requests(lamina: Running) -> None:
    """Unknown ids are NotFoundException, a short key value BadRequestException, and an
    operation Lamina does not serve says so."""
    client = apigateway(lamina)
    with pytest.raises(ClientError) as missing:
        client.get_usage_plan(usagePlanId="nope")
    assert missing.value.response["Error"] == {
        "Code": "NotFoundException",
        "Message": "Invalid Usage Plan ID specified",
    }
    with pytest.raises(ClientError) as short:
        client.create_api_key(name="short", value="too-short")
    assert short.value.response["Error"]["Code"] == "BadRequestException"
    with pytest.raises(ClientError) as unserved:
        client.get_authorizers(restApiId="any")
    assert "Lamina does not serve apigateway:GetAuthorizers yet." in str(unserved.value)


def test_what_the_api_made_survives_a_restart(tmp_path: Path) -> None:
    """A key and plan made through the API are in force after Lamina restarts on its state,
    and the calls counted before the restart still count (GetUsage, the quota)."""
    value = "survives-a-restart-000001"
    with running(TEMPLATE, tmp_path / "state") as first:
        key_id, plan_id = make_plan(apigateway(first), value)
        assert [keyed(first, value) for _ in range(2)] == [200, 200]
    with running(TEMPLATE, tmp_path / "state") as second:
        client = apigateway(second)
        assert client.get_api_key(apiKey=key_id)["name"] == "made"
        assert keyed(second, value) == 200
        today = dt.datetime.now(dt.UTC).date().isoformat()
        usage = client.get_usage(usagePlanId=plan_id, startDate=today, endDate=today)
        assert usage["items"] == {key_id: [[3, 47]]}
