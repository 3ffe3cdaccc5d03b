import json


def backend(event, context):
    identity = event["requestContext"]["identity"]
    return {
        "statusCode": 200,
        "body": json.dumps(
            {"apiKey": identity.get("apiKey"), "apiKeyId": identity.get("apiKeyId")}
        ),
    }


def key_authorizer(event, context):
    """Allows every caller; the token is the API key the call is metered by."""
    return {
        "principalId": "caller",
        "usageIdentifierKey": event["authorizationToken"],
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}],
        },
    }
