"""The Lambda API's REST surface without a server: botocore's routes, errors on the wire, spec
documents."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from lamina.errors import ResourceNotFoundException, TooManyRequestsException
from lamina.model.lambdas import EventInvokeConfig
from lamina.net.messages import Request
from lamina.services.errors import InternalFailure, SerializationException
from lamina.services.lambda_.errors import ResourceConflictException, render
from lamina.services.lambda_.pagination import paginate
from lamina.services.lambda_.service import INVOCATIONS, OPERATIONS, is_lambda
from lamina.services.lambda_.specjson import spec_from_json, to_json
from lamina.services.protocols import rest, shapes
from lamina.services.protocols.wire import REST_JSON
from tests.integration.engine_support import function, layer


def _request(method: str, path: str, query: str = "") -> Request:
    return Request(method=method, path=path, query=query, headers=[])


@pytest.mark.parametrize(
    ("method", "path", "query", "operation", "params"),
    [
        ("POST", "/2015-03-31/functions/f/invocations", "", "Invoke", {"FunctionName": "f"}),
        ("GET", "/2015-03-31/functions/", "", "ListFunctions", {}),
        (
            "GET",
            "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af",
            "",
            "GetFunction",
            {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:f"},
        ),
        (
            "GET",
            "/2015-03-31/functions/f/aliases/live",
            "",
            "GetAlias",
            {"FunctionName": "f", "Name": "live"},
        ),
        (
            "GET",
            "/2019-09-30/functions/f/provisioned-concurrency",
            "List=ALL",
            "ListProvisionedConcurrencyConfigs",
            {"FunctionName": "f"},
        ),
        (
            "GET",
            "/2019-09-30/functions/f/provisioned-concurrency",
            "Qualifier=1",
            "GetProvisionedConcurrencyConfig",
            {"FunctionName": "f"},
        ),
        (
            "GET",
            "/2019-09-25/functions/f/event-invoke-config/list",
            "",
            "ListFunctionEventInvokeConfigs",
            {"FunctionName": "f"},
        ),
        ("GET", "/2016-08-19/account-settings/", "", "GetAccountSettings", {}),
    ],
)
def test_routes(method: str, path: str, query: str, operation: str, params: dict[str, str]) -> None:
    """botocore's request URIs reach their operation with percent-decoded labels."""
    request = _request(method, path, query)
    routes = rest.routes("lambda")
    assert routes.find(request) == operation
    found = shapes.model("lambda").operation(operation)
    assert found is not None
    labels = routes.parse(request, found, REST_JSON)
    assert {k: v for k, v in labels.items() if k in params} == params
    assert {k for k, m in found.input.members.items() if m.location == "uri"} == set(params)


def test_every_served_operation_is_in_the_model() -> None:
    """Each handler is for an operation botocore's Lambda model has (a typo would never be
    reached, and the operation would be answered "not served")."""
    model = shapes.model("lambda")
    assert all(model.operation(name) is not None for name in {*OPERATIONS, *INVOCATIONS})


def test_lambda_claims_its_paths_and_signing_name() -> None:
    """The service answers Lambda's dated paths and requests signed for `lambda`, nothing else."""
    assert is_lambda(_request("GET", "/2015-03-31/functions"))
    signed = Request(
        "GET",
        "/x",
        "",
        [("Authorization", "AWS4-HMAC-SHA256 Credential=k/20240101/us-east-1/lambda/aws4_request")],
    )
    assert is_lambda(signed)
    assert not is_lambda(_request("POST", "/"))


def test_error_documents() -> None:
    """Lambda's error wire form: x-amzn-ErrorType, Type User, `Message` or `message` as its
    model spells it, and Reason plus Retry-After when throttled."""
    missing = render(ResourceNotFoundException("Function not found: x"), REST_JSON, "rid")
    assert (
        missing.status == 404 and missing.header("x-amzn-ErrorType") == "ResourceNotFoundException"
    )
    assert json.loads(missing.body) == {"Type": "User", "Message": "Function not found: x"}
    conflict = render(ResourceConflictException("taken"), REST_JSON, "rid")
    assert (conflict.status, json.loads(conflict.body)["message"]) == (409, "taken")
    throttled = render(TooManyRequestsException("Rate Exceeded.", "R"), REST_JSON, "rid")
    assert throttled.status == 429 and throttled.header("Retry-After") == "1"
    assert json.loads(throttled.body)["Reason"] == "R"


def test_protocol_failures_in_lambdas_words() -> None:
    """The protocol layer's generic failures leave as Lambda names them: a body that is not the
    model's JSON is InvalidRequestContentException, an internal failure ServiceException."""
    unreadable = render(SerializationException("Unexpected character"), REST_JSON, "rid")
    assert unreadable.header("x-amzn-ErrorType") == "InvalidRequestContentException"
    assert json.loads(unreadable.body) == {
        "Type": "User",
        "message": "Could not parse request body into json: Unexpected character",
    }
    failed = render(InternalFailure("boom"), REST_JSON, "rid")
    assert (failed.status, failed.header("x-amzn-ErrorType")) == (500, "ServiceException")
    assert json.loads(failed.body)["Type"] == "Service"


def test_pagination_markers() -> None:
    """Pages of MaxItems with an opaque marker until the end."""
    assert paginate(list(range(5)), None, 2) == ([0, 1], "2")
    assert paginate(list(range(5)), "4", 2) == ([4], None)


def test_spec_documents_round_trip(tmp_path: Path) -> None:
    """A spec survives JSON (paths, mappings, nested layers and configs) unchanged."""
    spec = dataclasses.replace(
        function("Fn", "app.handler", environment={"A": "1"}),
        layers=(layer("layer1"),),
        version="3",
        event_invoke=(EventInvokeConfig(1, 120, None, "arn:aws:lambda:x"),),
    )
    assert spec_from_json(json.loads(json.dumps(to_json(spec)))) == spec
