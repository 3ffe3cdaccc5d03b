import json


def backend(event, context):
    return {
        "statusCode": 200,
        "body": json.dumps({"authorizer": event["requestContext"].get("authorizer")}),
    }
