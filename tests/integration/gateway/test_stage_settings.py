"""REST stage settings and HTTP API route settings with a real Lamina: throttles admit exactly
their burst of concurrent calls and answer the rest 429 as API Gateway does; the stage cache
answers repeated GETs without invoking the function, keyed by the cache key parameters, and
honours ``Cache-Control: max-age=0`` only from a caller allowed to invalidate."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from .support import Reply, Running, running

TEMPLATE = Path(__file__).parent / "stage_app" / "template.yaml"


@pytest.fixture(scope="module")
def lamina(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running(TEMPLATE, tmp_path_factory.mktemp("stage")) as served:
        yield served


def concurrently(lamina: Running, path: str, n: int) -> list[Reply]:
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _: lamina.get(path), range(n)))


def test_a_rest_method_throttle_admits_exactly_its_burst(lamina: Running) -> None:
    """MethodSettings for GET /limited (burst 5, a rate too slow to refill): of 20 concurrent
    calls 5 reach the function and 15 get 429 {"message":"Too Many Requests"} with
    TooManyRequestsException; the stage's other methods are not throttled by it."""
    replies = concurrently(lamina, "/Prod/limited", 20)
    assert sorted(r.status for r in replies) == [200] * 5 + [429] * 15
    refused = [r for r in replies if r.status == 429]
    assert all(r.json() == {"message": "Too Many Requests"} for r in refused)
    assert all(r.header("x-amzn-ErrorType") == "TooManyRequestsException" for r in refused)
    assert lamina.get("/Prod/fresh").status == 200


def test_an_http_api_route_throttle_admits_exactly_its_burst(lamina: Running) -> None:
    """RouteSettings for GET /h (burst 3): of 12 concurrent calls 3 get in."""
    replies = concurrently(lamina, "/h", 12)
    assert sorted(r.status for r in replies) == [200] * 3 + [429] * 9
    assert all(r.json() == {"message": "Too Many Requests"} for r in replies if r.status == 429)


def test_a_cache_hit_does_not_invoke_the_function(lamina: Running) -> None:
    """GET /cached is cached for 300 s by the q parameter (SAM's Caching: true): the same q
    answers the first invocation again, another q invokes again; POST is never cached and a
    method whose settings turn caching off invokes every time."""
    first = lamina.get("/Prod/cached?q=a").json()
    assert lamina.get("/Prod/cached?q=a").json() == first
    assert lamina.get("/Prod/cached?q=a&other=1").json() == first  # other is not a key
    second = lamina.get("/Prod/cached?q=b").json()
    assert second["invocation"] != first["invocation"]
    posted = [lamina.request("POST", "/Prod/cached?q=a").json() for _ in range(2)]
    assert posted[0]["invocation"] != posted[1]["invocation"] != first["invocation"]
    fresh = [lamina.get("/Prod/fresh").json()["invocation"] for _ in range(2)]
    assert fresh[0] != fresh[1]


def signed_get(lamina: Running, path: str, headers: dict[str, str]) -> Reply:
    settings = lamina.lamina.settings
    credentials = Credentials(settings.access_key_id, settings.secret_access_key)
    request = AWSRequest("GET", f"http://127.0.0.1:{lamina.port}{path}", headers=headers)
    SigV4Auth(credentials, "execute-api", settings.region).add_auth(request)
    sent = {k: v for k, v in request.headers.items() if k.lower() != "host"}
    return lamina.get(path, headers=sent)


def test_cache_control_invalidates_only_for_an_authorised_caller(lamina: Running) -> None:
    """An unsigned Cache-Control: max-age=0 is ignored with a Warning (the default strategy);
    a SigV4-signed one (execute-api:InvalidateCache) invalidates the entry; on a method set to
    FAIL_WITH_403 an unsigned one is refused 403."""
    first = lamina.get("/Prod/cached?q=inv").json()
    ignored = lamina.get("/Prod/cached?q=inv", headers={"Cache-Control": "max-age=0"})
    assert ignored.json() == first
    assert "unauthorized" in (ignored.header("Warning") or "")
    renewed = signed_get(lamina, "/Prod/cached?q=inv", {"Cache-Control": "max-age=0"})
    assert renewed.status == 200 and renewed.json()["invocation"] != first["invocation"]
    assert lamina.get("/Prod/cached?q=inv").json() == renewed.json()
    assert lamina.get("/Prod/strict", headers={"Cache-Control": "max-age=0"}).status == 403


def test_flush_stage_cache_empties_the_cache_at_once(lamina: Running) -> None:
    """FlushStageCache (boto3's apigateway client on the services port) answers 202 and the
    next GET of a cached entry invokes the function again; an unknown stage is
    NotFoundException."""
    settings = lamina.lamina.settings
    client = boto3.client(
        "apigateway",
        endpoint_url=lamina.served.services_url,
        region_name=settings.region,
        aws_access_key_id=settings.access_key_id,
        aws_secret_access_key=settings.secret_access_key,
    )
    api_id = next(a.id for a in lamina.lamina.stack.apis if a.logical_id == "Api")
    first = lamina.get("/Prod/cached?q=flush").json()
    assert lamina.get("/Prod/cached?q=flush").json() == first
    flushed = client.flush_stage_cache(restApiId=api_id, stageName="Prod")
    assert flushed["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert lamina.get("/Prod/cached?q=flush").json()["invocation"] != first["invocation"]
    with pytest.raises(ClientError) as missing:
        client.flush_stage_cache(restApiId=api_id, stageName="Nope")
    assert missing.value.response["Error"]["Code"] == "NotFoundException"
