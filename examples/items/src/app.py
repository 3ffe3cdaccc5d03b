"""Items CRUD on DynamoDB, written for AWS Lambda behind an API Gateway REST API.

GET /items, POST /items {"name": ...}, GET/PUT/DELETE /items/{id}.
"""

import json
import os
import uuid
from decimal import Decimal

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def lambda_handler(event, context):
    method = event.get("httpMethod")
    item_id = (event.get("pathParameters") or {}).get("id")
    try:
        body = json.loads(event.get("body") or "{}", parse_float=Decimal)
    except json.JSONDecodeError:
        return _response(400, {"message": "Request body is not valid JSON"})

    if item_id is None and method == "GET":
        items = table.scan().get("Items", [])
        return _response(200, {"items": items})
    if item_id is None and method == "POST":
        if not isinstance(body, dict) or not body.get("name"):
            return _response(400, {"message": "An item needs a name"})
        item = {**body, "id": str(uuid.uuid4())}
        table.put_item(Item=item)
        return _response(201, item)
    if method == "GET":
        item = table.get_item(Key={"id": item_id}).get("Item")
        return _response(200, item) if item else _response(404, {"message": "No such item"})
    if method == "PUT":
        if not isinstance(body, dict):
            return _response(400, {"message": "An item is a JSON object"})
        item = {**body, "id": item_id}
        table.put_item(Item=item)
        return _response(200, item)
    if method == "DELETE":
        table.delete_item(Key={"id": item_id})
        return _response(204, None)
    return _response(405, {"message": f"Method {method} not allowed"})


def _response(status, document):
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": "" if document is None else json.dumps(document, default=_number),
    }


def _number(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
