"""Real frameworks, unchanged, behind the gateway: aws-lambda-powertools' REST and HTTP
resolvers and FastAPI behind Mangum parse Lamina's events the way they parse AWS's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .support import TEMPLATES, Running, running

pytest.importorskip("aws_lambda_powertools", reason="the `test` extra installs it")
pytest.importorskip("mangum", reason="the `test` extra installs it")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lamina(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running(TEMPLATES / "frameworks", tmp_path_factory.mktemp("state")) as served:
        yield served


def test_powertools_rest_resolver(lamina: Running) -> None:
    """APIGatewayRestResolver routes our REST event, reads path, query and JSON body, and its
    Response (status, headers) comes back as written."""
    reply = lamina.get("/Prod/pt/hello/ada?q=1")
    assert reply.status == 200, reply.body
    assert reply.json() == {"message": "hello ada", "query": "1"}
    created = lamina.request(
        "POST",
        "/Prod/pt/items",
        body=b'{"name": "pen"}',
        headers={"Content-Type": "application/json"},
    )
    assert created.status == 201, created.body
    assert created.json() == {"created": {"name": "pen"}, "stage": "Prod"}
    assert created.header("X-Powertools") == "rest"


def test_powertools_http_resolver(lamina: Running) -> None:
    """APIGatewayHttpResolver routes our 2.0 event and reads its cookies and raw path."""
    reply = lamina.get("/pth/hello/bob", headers={"Cookie": "a=1; b=2"})
    assert reply.status == 200, reply.body
    assert reply.json() == {
        "message": "hello bob",
        "cookies": ["a=1", "b=2"],
        "path": "/pth/hello/bob",
    }


def test_fastapi_behind_mangum_on_http_and_rest_apis(lamina: Running) -> None:
    """FastAPI through Mangum: path and query parameters, a JSON body, on both API kinds."""
    for prefix in ("", "/Prod"):
        reply = lamina.get(f"{prefix}/fa/items/5?q=x")
        assert reply.status == 200, reply.body
        assert reply.json() == {"item_id": 5, "q": "x"}
        posted = lamina.request(
            "POST",
            f"{prefix}/fa/echo",
            body=b'{"a": [1, 2]}',
            headers={"Content-Type": "application/json"},
        )
        assert posted.status == 200, posted.body
        assert posted.json()["received"] == {"a": [1, 2]}
    missing = lamina.get("/fa/nothing")
    assert missing.status == 404
