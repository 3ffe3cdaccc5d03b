"""Functions behind the mapping-template routes: non-proxy integrations send them whatever the
request template rendered, and map back whatever they return (or raise)."""

import json
from typing import Any


def echo(event: Any, context: Any) -> Any:
    """The rendered request, as it arrived."""
    return event


def pet(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A pet by id, or an error whose message selects the 404 integration response."""
    if event.get("petId") == "404":
        raise LookupError(f"Pet {event['petId']} not found")
    return {"id": event.get("petId"), "type": "dog", "price": 249.99, "tags": ["good", "boy"]}


def proxy_echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A proxy integration's answer whose body is the event it got."""
    return {"statusCode": 200, "body": json.dumps(event)}
