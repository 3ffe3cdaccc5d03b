"""Custom domain names with a real Lamina and raw HTTP: the ``Host`` header picks the domain, its
longest matching base path picks the API and stage, the base path is stripped before routing and
the events name the custom domain, as API Gateway does behind ``AWS::ApiGateway::DomainName`` /
``BasePathMapping``, ``AWS::ApiGatewayV2::DomainName`` / ``ApiMapping`` and SAM's ``Domain``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lamina.errors import TemplateError
from lamina.template.stack import load_stack

from .support import Running, running

TEMPLATE = Path(__file__).parent / "domain_app" / "template.yaml"


@pytest.fixture(scope="module")
def lamina(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running(TEMPLATE, tmp_path_factory.mktemp("domains")) as served:
        yield served


def api_id(lamina: Running, logical_id: str) -> str:
    return next(a.id for a in lamina.lamina.stack.apis if a.logical_id == logical_id)


def test_sam_domain_maps_the_root_of_a_rest_stage(lamina: Running) -> None:
    """SAM ``Domain`` with BasePath ``/``: Host api.example.com reaches the Prod stage at the
    root, path parameters and all; the event's paths are the path as requested and its
    requestContext names the custom domain and its first label."""
    reply = lamina.get("/items/7", host="api.example.com")
    assert reply.status == 200, reply.body
    event = reply.json()
    assert event["apiId"] == api_id(lamina, "Shop")
    assert event["stage"] == "Prod"
    assert event["resource"] == "/items/{id}"
    assert event["path"] == event["contextPath"] == "/items/7"
    assert event["pathParameters"] == {"id": "7"}
    assert event["domainName"] == "api.example.com"
    assert event["domainPrefix"] == "api"
    assert lamina.get("/", host="api.example.com").json()["resource"] == "/"


def test_a_base_path_is_stripped_before_routing_and_kept_in_the_event(lamina: Running) -> None:
    """BasePath ``shop`` on the same domain: /shop/hello reaches /hello (the longer base path
    wins over the root mapping), and the event's path keeps the base path as API Gateway's
    does; /shop alone reaches the API's root resource."""
    event = lamina.get("/shop/hello", host="API.Example.com").json()
    assert event["resource"] == "/hello"
    assert event["path"] == event["contextPath"] == "/shop/hello"
    assert lamina.get("/shop", host="api.example.com").json()["resource"] == "/"


def test_raw_base_path_mapping_resources_serve_their_stage(lamina: Running) -> None:
    """AWS::ApiGateway::DomainName + BasePathMapping (BasePath v1, Stage Beta): the Admin API
    answers under /v1 only; a path no base path maps is API Gateway's 403 Forbidden, and a
    route the mapped API lacks is its own 403 Missing Authentication Token."""
    event = lamina.get("/v1/hello", host="admin.example.com").json()
    assert event["apiId"] == api_id(lamina, "Admin")
    assert event["stage"] == "Beta"
    unmapped = lamina.get("/hello", host="admin.example.com")
    assert unmapped.status == 403
    assert unmapped.json() == {"message": "Forbidden"}
    assert unmapped.header("x-amzn-ErrorType") == "ForbiddenException"
    missing = lamina.get("/v1/nothing", host="admin.example.com")
    assert missing.status == 403
    assert missing.json() == {"message": "Missing Authentication Token"}


def test_http_api_domain_and_multi_level_api_mapping_keys(lamina: Running) -> None:
    """SAM HttpApi ``Domain`` maps the $default stage at the root of orders.example.com; an
    ApiMapping key ``orders/v2`` on v2.example.com reaches the same API below two levels, with
    rawPath keeping them; another key on that domain maps a REST API; an unmapped path on an
    HTTP API domain is 404 Not Found."""
    event = lamina.get("/orders/9", host="orders.example.com").json()
    assert event["apiId"] == api_id(lamina, "Orders")
    assert event["resource"] == "GET /orders/{id}"
    assert event["path"] == "/orders/9"
    assert event["domainName"] == "orders.example.com"
    deep = lamina.get("/orders/v2/orders/9", host="v2.example.com").json()
    assert deep["resource"] == "GET /orders/{id}"
    assert deep["path"] == deep["contextPath"] == "/orders/v2/orders/9"
    assert deep["pathParameters"] == {"id": "9"}
    assert lamina.get("/shop/hello", host="v2.example.com").json()["apiId"] == api_id(
        lamina, "Shop"
    )
    unmapped = lamina.get("/nothing", host="orders.example.com")
    assert unmapped.status == 404
    assert unmapped.json() == {"message": "Not Found"}


def test_the_banner_lists_each_custom_domain(lamina: Running) -> None:
    """`lamina up` lists where each API answers, its custom domains (on the API port) too."""
    (shop,) = [a for a in lamina.served.apis if a.logical_id == "Shop"]
    port = lamina.port
    assert f"http://api.example.com:{port}/" in shop.urls
    assert f"http://api.example.com:{port}/shop/" in shop.urls
    assert f"http://v2.example.com:{port}/shop/" in shop.urls


def test_an_unknown_host_is_routed_as_before(lamina: Running) -> None:
    """A Host that is no custom domain gets the merged port's routing: stage prefixes, and
    the event's domainName is that host."""
    event = lamina.get("/Beta/hello", host="localhost").json()
    assert event["apiId"] == api_id(lamina, "Admin")
    assert event["domainName"] == "localhost"
    assert event["path"] == "/hello"


def test_a_mapping_to_a_missing_stage_is_refused_at_deploy(tmp_path: Path) -> None:
    """A BasePathMapping naming a stage the API does not have fails the template with the
    mapping and property named, as CloudFormation fails the stack."""
    text = TEMPLATE.read_text().replace("Stage: !Ref AdminBetaStage", "Stage: Gamma")
    broken = tmp_path / "template.yaml"
    broken.write_text(text)
    with pytest.raises(TemplateError, match="Invalid stage identifier specified") as caught:
        load_stack(broken, stack_name="domains")
    assert "AdminMapping" in str(caught.value) and "Stage" in str(caught.value)
