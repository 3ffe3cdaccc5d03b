"""Stores a note sent to POST /notes and logs it (the console test sends markup in one)."""

import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE"])


def handler(event, context):
    note = json.loads(event.get("body") or "{}")
    print(f"note {note.get('id')}: {note.get('text')}")
    table.put_item(Item={"id": str(note.get("id")), "text": str(note.get("text"))})
    return {"statusCode": 201, "body": json.dumps({"stored": note.get("id")})}
