import json
import uuid


def backend(event, context):
    """Each invocation answers a fresh id: an answer repeated is one served from the cache."""
    return {
        "statusCode": 200,
        "body": json.dumps(
            {"invocation": uuid.uuid4().hex, "query": event.get("queryStringParameters")}
        ),
    }
