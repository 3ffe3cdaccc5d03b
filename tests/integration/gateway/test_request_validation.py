"""REST request validators and gateway responses through a real `lamina up` (in-process) over
real HTTP. Validators from SAM's ``RequestModel`` (a JSON Schema draft 4 model) and
``RequestParameters`` (Required): missing required parameters and bodies that break the model
get API Gateway's 400 bodies and ``x-amzn-ErrorType: BadRequestException`` before the function
runs; a valid request reaches it. Gateway responses (SAM ``GatewayResponses``,
``AWS::ApiGateway::GatewayResponse``) reword those refusals: status, headers and templates with
``$context.error``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from .support import Running, running

pytestmark = pytest.mark.slow
TEMPLATE = Path(__file__).parent / "mapping_app" / "template.yaml"
GOOD = {"Content-Type": "application/json", "X-Trace": "t-1"}


@pytest.fixture(scope="module")
def lamina(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running(TEMPLATE, tmp_path_factory.mktemp("validation")) as served:
        yield served


def test_a_valid_request_reaches_the_function(lamina: Running) -> None:
    """Every required parameter and a body the model accepts: the function answers."""
    body = json.dumps({"name": "Rex", "price": 10})
    reply = lamina.request("POST", "/v/pets?owner=ana", body, GOOD)
    assert reply.status == 200, reply.body
    assert json.loads(reply.json()["body"]) == {"name": "Rex", "price": 10}


def test_missing_parameters_are_named(lamina: Running) -> None:
    """Each missing required query string and header is listed, in the definition's order."""
    body = json.dumps({"name": "Rex", "price": 10})
    reply = lamina.request("POST", "/v/pets", body, {"Content-Type": "application/json"})
    assert reply.status == 400
    assert reply.json() == {"message": "Missing required request parameters: [owner, X-Trace]"}
    assert reply.header("x-amzn-ErrorType") == "BadRequestException"
    one = lamina.request("POST", "/v/pets", body, GOOD)
    assert one.json() == {"message": "Missing required request parameters: [owner]"}


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Rex"},  # a required property missing
        {"name": "Rex", "price": -1},  # below the minimum
        {"name": 7, "price": 1},  # a wrong type
    ],
)
def test_a_body_that_breaks_the_model_is_invalid(lamina: Running, body: object) -> None:
    """A body the draft 4 schema refuses answers 400 Invalid request body."""
    reply = lamina.request("POST", "/v/pets?owner=ana", json.dumps(body), GOOD)
    assert reply.status == 400
    assert reply.json() == {"message": "Invalid request body"}
    assert reply.header("x-amzn-ErrorType") == "BadRequestException"


def test_a_body_that_is_not_json_is_invalid(lamina: Running) -> None:
    """A body that is not JSON cannot match a JSON model."""
    reply = lamina.request("POST", "/v/pets?owner=ana", "{name", GOOD)
    assert (reply.status, reply.json()) == (400, {"message": "Invalid request body"})


def test_a_gateway_response_rewords_a_refusal(lamina: Running) -> None:
    """BAD_REQUEST_BODY customised: its status, header and template (the error's message as a
    JSON string, its type, the validator's reasons, stage variables, the request id)."""
    reply = lamina.request("POST", "/r/pets", json.dumps({"name": 3}), GOOD)
    assert reply.status == 422, reply.body
    assert reply.header("X-Reason") == "validation"
    document = reply.json()
    assert document["error"] == "Invalid request body"
    assert document["type"] == "BAD_REQUEST_BODY"
    assert "3 is not of type 'string'" in document["why"]
    assert document["team"] == "pets"
    assert document["request"] == reply.header("x-amzn-RequestId")
    # The DEFAULT_4XX header is not added to a type customised on its own.
    assert reply.header("Access-Control-Allow-Origin") is None


def test_default_4xx_and_a_gateway_response_resource(lamina: Running) -> None:
    """A route the API does not have: MISSING_AUTHENTICATION_TOKEN customised by an
    AWS::ApiGateway::GatewayResponse resource (404 and its template); another API keeps AWS's
    403."""
    missing = lamina.request("GET", "/r/nowhere")
    assert missing.status == 404
    assert missing.json() == {"message": "Not here", "type": "MISSING_AUTHENTICATION_TOKEN"}
    assert lamina.request("GET", "/v/nowhere").json() == {"message": "Missing Authentication Token"}


def test_integration_answers_are_not_rewritten(lamina: Running) -> None:
    """A valid request gets the function's own answer, whatever the gateway responses say."""
    reply = lamina.request("POST", "/r/pets", json.dumps({"name": "Rex"}), GOOD)
    assert reply.status == 200 and reply.header("X-Reason") is None
