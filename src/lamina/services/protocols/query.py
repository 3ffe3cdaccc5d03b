"""The ``query`` protocol: ``Action=...&Version=...`` and members as form fields, XML answers.

Members are named by their ``locationName``; nesting joins names with dots; a list's elements are
``Name.member.1``... (``Name.1`` when flattened); a map's entries are ``Name.entry.1.key`` and
``Name.entry.1.value``. Values arrive as text and are converted by the member's shape, then
checked (``validation``): a value that is not its type is ``InvalidParameterValue``, broken
constraints are ``ValidationError`` in AWS's words, as STS and IAM answer them.

An answer is ``<OpResponse xmlns=...><OpResult>members</OpResult><ResponseMetadata>
<RequestId/></ResponseMetadata></OpResponse>`` (``OpResult`` is the model's ``resultWrapper``;
an operation without output has none).
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from lamina.net.messages import Request, Response
from lamina.services.errors import InvalidParameterValue, ValidationError
from lamina.services.protocols import scalars, validation, xmlbody
from lamina.services.protocols.shapes import Operation, Shape

_FORM = "application/x-www-form-urlencoded"


def fields(request: Request) -> dict[str, str]:
    found = dict(urllib.parse.parse_qsl(request.query, keep_blank_values=True))
    if request.body and (request.header("content-type") or "").startswith(_FORM):
        text = request.body.decode("utf-8", "replace")
        found.update(urllib.parse.parse_qsl(text, keep_blank_values=True))
    return found


def parse(request: Request, operation: Operation) -> dict[str, Any]:
    if operation.input is None:
        return {}
    form = fields(request)
    try:
        members = _structure(operation.input, form, "")
        return validation.check(operation.input, members)  # type: ignore[no-any-return]
    except validation.WrongType as exc:
        value = form.get(exc.path, "")
        raise InvalidParameterValue(
            f"Value ({value}) for parameter {exc.path} is invalid."
        ) from None
    except validation.Invalid as exc:
        raise ValidationError(str(exc)) from None


def _present(form: dict[str, str], prefix: str) -> bool:
    return prefix in form or any(k.startswith(prefix + ".") for k in form)


def _structure(shape: Shape, form: dict[str, str], prefix: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, member in shape.members.items():
        key = f"{prefix}{member.wire_name}"
        kind = member.shape.kind
        if kind == "list":
            if _present(form, key):
                out[name] = _list(member.shape, form, key, member.flattened)
        elif kind == "map":
            if _present(form, key):
                out[name] = _map(member.shape, form, key, member.flattened)
        elif kind == "structure":
            if _present(form, key):
                out[name] = _structure(member.shape, form, key + ".")
        elif key in form:
            out[name] = _scalar(member.shape, form[key], key)
    return out


def _list(shape: Shape, form: dict[str, str], key: str, flattened: bool) -> list[Any]:
    assert shape.member is not None
    element = shape.member
    if form.get(key) == "":
        return []  # "Name=" is how query clients send an empty list
    base = key if flattened or shape.flattened else f"{key}.{element.wire_name}"
    items = []
    index = 1
    while _present(form, f"{base}.{index}"):
        items.append(_value(element.shape, form, f"{base}.{index}"))
        index += 1
    return items


def _map(shape: Shape, form: dict[str, str], key: str, flattened: bool) -> dict[str, Any]:
    assert shape.key is not None and shape.value is not None
    base = key if flattened or shape.flattened else f"{key}.entry"
    out = {}
    index = 1
    while _present(form, f"{base}.{index}"):
        entry = f"{base}.{index}"
        name = form.get(f"{entry}.{shape.key.wire_name}", "")
        out[name] = _value(shape.value.shape, form, f"{entry}.{shape.value.wire_name}")
        index += 1
    return out


def _value(shape: Shape, form: dict[str, str], key: str) -> Any:
    if shape.kind == "structure":
        return _structure(shape, form, key + ".")
    if shape.kind == "list":
        return _list(shape, form, key, False)
    if shape.kind == "map":
        return _map(shape, form, key, False)
    return _scalar(shape, form.get(key, ""), key)


def _scalar(shape: Shape, text: str, key: str) -> Any:
    """Text converted to the shape's type; left as text when it is not (the check names it)."""
    try:
        return scalars.read_number_or_bool(shape.kind, text)
    except ValueError:
        raise InvalidParameterValue(f"Value ({text}) for parameter {key} is invalid.") from None


def serialise(
    result: dict[str, Any], operation: Operation, request_id: str, namespace: str | None
) -> Response:
    name = operation.name
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    inner = ""
    if operation.output is not None:
        wrapper = operation.result_wrapper or f"{name}Result"
        inner = f"<{wrapper}>{xmlbody.children(operation.output, result)}</{wrapper}>"
    text = (
        f"{xmlbody.DECLARATION}<{name}Response{xmlns}>{inner}"
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        f"</{name}Response>"
    )
    return Response(
        200, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], text.encode()
    )
