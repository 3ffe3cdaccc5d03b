"""ModelService's seam for services like Lambda: coroutine handlers with a Call, a blob payload
in and out as raw bytes, header members by the model's locations, bodiless 204s."""

from __future__ import annotations

import asyncio
from typing import Any

from lamina.net.messages import Request, Response
from lamina.services.protocols.service import Call, ModelService
from lamina.services.protocols.wire import REST_JSON

PAYLOAD = b"\x00not json, not base64\xff"


async def _invoke(params: dict[str, Any], call: Call) -> dict[str, Any]:
    return {
        "StatusCode": 200,
        "Payload": params["Payload"] + call.request_id.encode(),
        "ExecutedVersion": params.get("Qualifier", "$LATEST"),
        "FunctionError": params.get("InvocationType"),
    }


async def _delete(params: dict[str, Any], call: Call) -> dict[str, Any]:
    return {"StatusCode": 204}


def _service() -> ModelService:
    return ModelService(
        "lambda",
        {"Invoke": _invoke, "DeleteFunction": _delete},
        signing_names=("lambda",),
        calls=True,
    )


def _send(service: ModelService, request: Request, operation: str | None = None) -> Response:
    async def run() -> Response:
        if operation is None:
            return await service.handle(request)
        return await service.answer(request, REST_JSON, operation)

    return asyncio.run(run())


def test_blob_payload_and_header_members_travel_raw() -> None:
    """Invoke's Payload blob reaches a coroutine handler as the body's own bytes and leaves as
    the whole body; header and query members are read and written where the model puts them;
    the Call carries the request id the response is sent under."""
    request = Request(
        "POST",
        "/2015-03-31/functions/f/invocations",
        "Qualifier=7",
        [("X-Amz-Invocation-Type", "Event")],
        PAYLOAD,
    )
    for answer in (_send(_service(), request), _send(_service(), request, "Invoke")):
        request_id = answer.header("x-amzn-RequestId")
        assert request_id is not None
        assert answer.status == 200
        assert answer.body == PAYLOAD + request_id.encode()
        assert answer.header("X-Amz-Executed-Version") == "7"
        assert answer.header("X-Amz-Function-Error") == "Event"


def test_an_enum_header_is_checked_in_aws_words() -> None:
    """A header member outside its enum is a ValidationException naming the member as AWS does,
    with the values in the model's order; the handler never runs."""
    request = Request(
        "POST",
        "/2015-03-31/functions/f/invocations",
        "",
        [("X-Amz-Invocation-Type", "Sometimes")],
        b"{}",
    )
    answer = _send(_service(), request)
    assert (answer.status, answer.header("x-amzn-ErrorType")) == (400, "ValidationException")
    assert b"Member must satisfy enum value set: [Event, RequestResponse, DryRun]" in answer.body


def test_a_204_has_no_body() -> None:
    """A StatusCode member of 204 leaves as 204 with an empty body, whatever else the output
    shape could hold."""
    answer = _send(_service(), Request("DELETE", "/2015-03-31/functions/f", "", []))
    assert (answer.status, answer.body) == (204, b"")
