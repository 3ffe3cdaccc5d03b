"""Function results mapped to HTTP answers, as API Gateway maps them (pure)."""

from __future__ import annotations

import base64
import json

import pytest

from lamina.gateway import responses
from lamina.gateway.responses import MalformedResult
from lamina.model.apis import ApiKind

from .support import request


def v1(
    document: object,
    kind: ApiKind = ApiKind.REST,
    binary: tuple[str, ...] = (),
    accept: str = "*/*",
) -> responses.Response:
    req = request(headers=[("Accept", accept)])
    return responses.from_v1(json.dumps(document).encode(), kind, binary, req)


@pytest.mark.parametrize(
    "document", ["a string", {"body": "x"}, [1], {"statusCode": "abc"}, {"statusCode": 99}]
)
def test_v1_needs_an_object_with_a_status_code(document: object) -> None:
    """Format 1.0 is strict: anything but an object with a valid statusCode is malformed."""
    with pytest.raises(MalformedResult):
        v1(document)


def test_v1_status_string_body_missing_and_default_content_type() -> None:
    """statusCode may be "200"; no body is empty; no Content-Type means application/json."""
    response = v1({"statusCode": "200"})
    assert (response.status, response.body) == (200, b"")
    assert response.header("content-type") == "application/json"


def test_v1_headers_merge_with_multi_value_headers() -> None:
    """Multi values first, then the single value unless it is already among them."""
    response = v1(
        {
            "statusCode": 200,
            "headers": {"X": "Custom", "Y": "same"},
            "multiValueHeaders": {"X": ["Value1", "Value2"], "Y": ["same"]},
        }
    )
    assert [v for n, v in response.headers if n == "X"] == ["Value1", "Value2", "Custom"]
    assert [v for n, v in response.headers if n == "Y"] == ["same"]


def test_rest_decodes_base64_only_for_binary_media_types() -> None:
    """REST: isBase64Encoded bodies become bytes when the Content-Type or the first Accept
    type is a binary media type; otherwise the base64 text passes through. HTTP APIs always
    decode."""
    encoded = base64.b64encode(b"\x00\x01").decode()
    document = {
        "statusCode": 200,
        "isBase64Encoded": True,
        "body": encoded,
        "headers": {"Content-Type": "image/png"},
    }
    assert v1(document, binary=("image/png",)).body == b"\x00\x01"
    assert v1(document).body == encoded.encode()
    assert (
        v1({**document, "headers": {}}, binary=("image/*",), accept="image/gif,*/*").body
        == b"\x00\x01"
    )
    assert v1(document, kind=ApiKind.HTTP).body == b"\x00\x01"


def test_v2_infers_a_200_json_answer() -> None:
    """No statusCode: 200 application/json with the result as body; a string is the body."""
    inferred = responses.from_v2(b'{"message": "hi"}')
    assert (inferred.status, json.loads(inferred.body)) == (200, {"message": "hi"})
    assert inferred.header("content-type") == "application/json"
    assert responses.from_v2(b'"plain"').body == b"plain"
    assert responses.from_v2(b"42").body == b"42"


def test_v2_structured_answer_cookies_and_base64() -> None:
    """statusCode present: headers, one Set-Cookie per cookie, base64 decoded, unknown keys
    ignored."""
    response = responses.from_v2(
        json.dumps(
            {
                "statusCode": 201,
                "headers": {"X": "1"},
                "cookies": ["a=1", "b=2"],
                "isBase64Encoded": True,
                "body": base64.b64encode(b"bin").decode(),
                "other": True,
            }
        ).encode()
    )
    assert response.status == 201 and response.body == b"bin"
    assert [v for n, v in response.headers if n == "Set-Cookie"] == ["a=1", "b=2"]


def test_error_answers_by_product() -> None:
    """Each failure answers with API Gateway's status and message for the product."""
    cases = [
        (responses.no_route(ApiKind.REST), 403, "Missing Authentication Token"),
        (responses.no_route(ApiKind.HTTP), 404, "Not Found"),
        (responses.integration_failed(ApiKind.REST), 502, "Internal server error"),
        (responses.integration_failed(ApiKind.HTTP), 500, "Internal Server Error"),
        (responses.timed_out(ApiKind.REST), 504, "Endpoint request timed out"),
        (responses.timed_out(ApiKind.HTTP), 503, "Service Unavailable"),
        (responses.throttled(ApiKind.REST), 500, "Internal server error"),
        (responses.too_large(ApiKind.REST), 413, "Request Too Long"),
    ]
    for response, status, message in cases:
        assert (response.status, json.loads(response.body)["message"]) == (status, message)
    # API Gateway's own bodies are spaced as json.dumps writes them, byte for byte.
    assert responses.no_route(ApiKind.HTTP).body == b'{"message": "Not Found"}'
    url = responses.throttled(ApiKind.FUNCTION_URL)
    assert url.status == 429
