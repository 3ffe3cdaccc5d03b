"""Lambda authorizers guard routes as API Gateway's do, with a real `lamina up`: no identity or
a token failing the validation expression is 401 before the function is asked; an Allow lets
the call in with the principal and context in its event; a Deny is 403; a function raising
Unauthorized is 401 and a malformed answer 500; results are cached for the TTL; an HTTP API's
simple responses decide alone. A JWT authorizer whose issuer's keys cannot be had refuses every
call: never an open route."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.asyncinvoke.lamina_up import LaminaUp, wait_for

pytestmark = pytest.mark.slow
TEMPLATE = Path(__file__).parent / "authorizers_app" / "template.yaml"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LaminaUp]:
    up = LaminaUp(TEMPLATE, tmp_path_factory.mktemp("authorizers") / "state").start()
    yield up
    up.stop()


def get(up: LaminaUp, path: str, token: str | None = None) -> tuple[int, Any, dict[str, str]]:
    port = up.log().split("APIs:")[1].split()[0].rsplit(":", 1)[1]
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if token is not None:
        request.add_header("Authorization", token)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read()), dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


def asked(up: LaminaUp) -> list[str]:
    return [line for line in up.log().splitlines() if "ASKED " in line]


def test_no_identity_or_a_bad_token_is_401_without_asking(server: LaminaUp) -> None:
    before = len(asked(server))
    assert get(server, "/Prod/token")[:2] == (401, {"message": "Unauthorized"})
    assert get(server, "/Prod/token", "Basic abc")[:2] == (401, {"message": "Unauthorized"})
    assert len(asked(server)) == before


def test_an_allow_lets_the_call_in_with_its_context(server: LaminaUp) -> None:
    status, body, _ = get(server, "/Prod/token", "Bearer allow")
    assert status == 200
    authorizer = body["authorizer"]
    assert authorizer["principalId"] == "alice"
    assert (authorizer["user"], authorizer["n"], authorizer["admin"]) == ("alice", "1", "true")


def test_deny_unauthorized_and_broken_answers(server: LaminaUp) -> None:
    status, body, headers = get(server, "/Prod/token", "Bearer deny")
    assert status == 403
    assert body == {
        "Message": "User is not authorized to access this resource with an explicit deny"
    }
    assert headers.get("x-amzn-ErrorType") == "AccessDeniedException"
    assert get(server, "/Prod/token", "Bearer unauthorized")[:2] == (
        401,
        {"message": "Unauthorized"},
    )
    assert get(server, "/Prod/token", "Bearer broken")[:2] == (500, {"message": None})


def test_results_are_cached_for_the_ttl(server: LaminaUp) -> None:
    """TokenAuth reauthorizes every 30 s: the same token twice asks once; RequestAuth (TTL 0)
    asks every time."""
    get(server, "/Prod/token", "Bearer allow cached")
    get(server, "/Prod/token", "Bearer allow cached")
    # Logs reach the console a moment after the answers, in order: once a later request's
    # line is there, a second ask for the cached token would be too.
    get(server, "/Prod/token", "Bearer allow later")
    wait_for(lambda: any('"Bearer allow later"' in line for line in asked(server)), timeout=10)
    assert sum('"Bearer allow cached"' in line for line in asked(server)) == 1
    before = len(asked(server))
    assert get(server, "/Prod/request?key=allow")[0] == 200
    assert get(server, "/Prod/request?key=allow")[0] == 200
    wait_for(lambda: len(asked(server)) >= before + 2, timeout=10)
    assert len(asked(server)) == before + 2
    assert get(server, "/Prod/request")[:2] == (401, {"message": "Unauthorized"})


def test_a_cached_policy_serves_every_route_of_its_authorizer(server: LaminaUp) -> None:
    """API Gateway caches an authorizer's answer per identity for all the methods it protects
    on the stage: a token already answered is not asked about again on another route, and
    its cached policy is evaluated against that route's method ARN. A policy naming only the
    first method refuses the second with 403 (AWS's "cached policy" pitfall, reproduced so it
    shows up locally); a wildcard policy lets both in."""
    assert get(server, "/Prod/token", "Bearer narrow")[0] == 200
    status, body, _ = get(server, "/Prod/other", "Bearer narrow")
    assert (status, body) == (403, {"Message": "User is not authorized to access this resource"})
    assert get(server, "/Prod/token", "Bearer allow shared")[0] == 200
    assert get(server, "/Prod/other", "Bearer allow shared")[0] == 200
    get(server, "/Prod/token", "Bearer allow marker")
    wait_for(lambda: any('"Bearer allow marker"' in line for line in asked(server)), timeout=10)
    assert sum('"Bearer narrow"' in line for line in asked(server)) == 1
    assert sum('"Bearer allow shared"' in line for line in asked(server)) == 1


def test_flush_stage_authorizers_cache_asks_again(server: LaminaUp) -> None:
    """FlushStageAuthorizersCache answers 202 and a token cached for 30 s is asked about
    again on its next call, as API Gateway forgets the stage's cached policies."""
    client = server.aws("apigateway")
    (api,) = client.get_rest_apis()["items"]
    get(server, "/Prod/token", "Bearer allow flushed")
    get(server, "/Prod/token", "Bearer allow flushed")
    flushed = client.flush_stage_authorizers_cache(restApiId=api["id"], stageName="Prod")
    assert flushed["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert get(server, "/Prod/token", "Bearer allow flushed")[0] == 200
    wait_for(
        lambda: sum('"Bearer allow flushed"' in line for line in asked(server)) >= 2, timeout=10
    )
    get(server, "/Prod/token", "Bearer allow after")
    wait_for(lambda: any('"Bearer allow after"' in line for line in asked(server)), timeout=10)
    assert sum('"Bearer allow flushed"' in line for line in asked(server)) == 2


def test_an_open_route_needs_nothing(server: LaminaUp) -> None:
    status, body, _ = get(server, "/Prod/open")
    assert status == 200 and body["authorizer"] is None


def test_http_simple_responses_and_a_refused_jwt_route(server: LaminaUp) -> None:
    status, body, _ = get(server, "/simple", "yes")
    assert status == 200 and body["authorizer"] == {"lambda": {"who": "http"}}
    assert get(server, "/simple", "no")[:2] == (403, {"message": "Forbidden"})
    assert get(server, "/jwt", "Bearer anything")[:2] == (401, {"message": "Unauthorized"})
    # The JWT authorizer's issuer serves no keys Lamina can reach: nothing gets through.
    assert "no keys for issuer https://issuer.example" in server.log()
