"""REST request validation: the pipeline step of a method with a request validator.

Contract of ``ValidationStep``: built once per route at deploy (the body models compiled as
JSON Schema draft 4 validators, as API Gateway's models are); per call it checks, in API
Gateway's order:

1. the required request parameters (query strings and headers): any missing answers 400
   ``{"message": "Missing required request parameters: [a, b]"}``;
2. the body against the model of its Content-Type (``application/json`` when it has none; a
   type without a model is not checked): a body that is not JSON or breaks the schema answers
   400 ``{"message": "Invalid request body"}``.

Both answers carry ``x-amzn-ErrorType: BadRequestException``, and the reasons are kept on the
call as ``$context.error.validationErrorString`` (``call.validation_error``) for gateway
responses.
"""

from __future__ import annotations

from typing import Any

from lamina import fastjson
from lamina.gateway import events, responses
from lamina.gateway.events import Call, media_type
from lamina.gateway.plan import Next
from lamina.model.apis import Validation
from lamina.net.messages import Response

BAD_REQUEST = "BadRequestException"


def missing_parameters(names: list[str]) -> Response:
    return responses.error(
        400, f"Missing required request parameters: [{', '.join(names)}]", BAD_REQUEST
    )


def invalid_body() -> Response:
    return responses.error(400, "Invalid request body", BAD_REQUEST)


class ValidationStep:
    """One method's request validator."""

    __slots__ = ("_models", "_required")

    def __init__(self, validation: Validation) -> None:
        self._required = validation.required
        # Imported by the first method with body models: jsonschema is 84 modules and 6 MB that
        # a template without request validators never needs.
        import jsonschema

        self._models: dict[str, Any] = {
            media: jsonschema.Draft4Validator(fastjson.loads(schema))
            for media, schema in validation.models.items()
        }

    async def __call__(self, call: Call, next: Next, /) -> Response:
        request = call.request
        if self._required:
            query = {k for k, _ in events.query_pairs(request.query)} if request.query else set()
            missing = [
                name
                for place, name in self._required
                if (name not in query if place == "querystring" else request.header(name) is None)
            ]
            if missing:
                call.validation_error = (
                    f"Missing required request parameters: [{', '.join(missing)}]"
                )
                return missing_parameters(missing)
        if self._models:
            validator = self._models.get(
                media_type(request.header("content-type")) or "application/json"
            )
            if validator is not None:
                problems = _problems(validator, request.body)
                if problems:
                    call.validation_error = problems
                    return invalid_body()
        return await next(call)


def _problems(validator: Any, body: bytes) -> str:
    """Why ``body`` fails its model, as API Gateway lists it (``[reason, reason]``), or ""."""
    try:
        document = fastjson.loads(body) if body.strip() else {}
    except ValueError as exc:
        return f"[Invalid JSON: {exc}]"
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    return "[" + ", ".join(_reason(e) for e in errors) + "]" if errors else ""


def _reason(error: Any) -> str:
    where = "/" + "/".join(str(p) for p in error.path)
    return f"{error.message} (at {where})" if error.path else str(error.message)
