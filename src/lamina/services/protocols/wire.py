"""How a request speaks: its protocol and the operation it names, read from the request itself.

A client's protocol is what it sent, not only what the model says: an old SQS SDK speaks
``query`` to a service whose current model is ``json``. ``X-Amz-Target`` means ``json``; a form
body (or query string) with ``Action`` means ``query``; ``smithy-protocol: rpc-v2-cbor`` means
``smithy-rpc-v2-cbor`` (the operation is the path's last part); otherwise the service's REST
protocol.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from lamina.net.messages import Request
from lamina.services.protocols.catalog import ServiceModel

JSON = "json"
QUERY = "query"
REST_JSON = "rest-json"
REST_XML = "rest-xml"
CBOR = "smithy-rpc-v2-cbor"
_FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True, slots=True)
class Spoken:
    """A request's protocol and the operation it names (None when it cannot be told)."""

    protocol: str
    operation: str | None


def query_action(request: Request) -> str | None:
    """``Action`` from a query-protocol request's form body or query string."""
    fields = urllib.parse.parse_qs(request.query)
    if (request.header("content-type") or "").startswith(_FORM) and request.body:
        fields.update(urllib.parse.parse_qs(request.body.decode("utf-8", "replace")))
    values = fields.get("Action")
    return values[0] if values else None


def spoken(request: Request, service: ServiceModel | None) -> Spoken:
    if request.header("smithy-protocol") == "rpc-v2-cbor":
        operation = (
            request.path.rsplit("/operation/", 1)[1] if "/operation/" in request.path else None
        )
        return Spoken(CBOR, operation or None)
    target = request.header("x-amz-target")
    if target:
        return Spoken(JSON, target.rsplit(".", 1)[-1])
    action = query_action(request)
    if action is not None:
        return Spoken(QUERY, action)
    if service is None:
        return Spoken(JSON, None)
    protocol = service.protocol
    if protocol in (REST_JSON, REST_XML):
        # Imported here: rest needs the error classes, whose renderer needs these names.
        from lamina.services.protocols import rest

        return Spoken(protocol, rest.routes(service.name).find(request))
    if protocol == "ec2":
        protocol = QUERY
    return Spoken(protocol, None)
