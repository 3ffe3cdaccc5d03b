"""Greets whoever the request names: POST /hello {"name": "Ada"} -> {"message": "Hello, Ada!"}."""

import json
import logging
import os

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def lambda_handler(event, context):
    try:
        body = json.loads(event.get("body") or "{}")
    except json.JSONDecodeError as exc:
        logger.warning("invalid JSON body: %s", exc)
        return _response(400, {"message": "Request body is not valid JSON"})
    if not isinstance(body, dict):
        return _response(400, {"message": "Request body must be a JSON object"})
    name = body.get("name") or "world"
    logger.info("greeting %s", name)
    return _response(200, {"message": f"{os.environ.get('GREETING', 'Hello')}, {name}!"})


def _response(status, document):
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(document),
    }
