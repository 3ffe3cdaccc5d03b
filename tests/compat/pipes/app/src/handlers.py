"""Functions a pipe calls: an enrichment and a sink that records what reached it."""

import json
import os

import boto3


def enrich(events, context):
    """Pipes hand an enrichment the batch as an array: returns one event per SQS record, the
    body's ``id`` with ``enriched`` set; a body ``{"fail": true}`` fails the batch."""
    out = []
    for record in events:
        body = json.loads(record["body"])
        if body.get("fail"):
            raise ValueError("enrichment refuses this batch")
        out.append({"id": body["id"], "enriched": True})
    return out


def sink(events, context):
    """Sends what the pipe gave it (an array of stream records) to the SEEN queue, as JSON."""
    boto3.client("sqs").send_message(QueueUrl=os.environ["SEEN"], MessageBody=json.dumps(events))
    return {}


def fail(events, context):
    """A target that always fails."""
    raise RuntimeError(f"refusing {len(events)} event(s)")
