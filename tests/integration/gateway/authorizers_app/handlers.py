import json


def authorize(event, context):
    print(
        "ASKED "
        + json.dumps(
            {
                "type": event["type"],
                "token": event.get("authorizationToken"),
                "identity": event.get("identitySource"),
            }
        )
    )
    if event.get("version") == "2.0":
        return {"isAuthorized": event["identitySource"] == ["yes"], "context": {"who": "http"}}
    token = event.get("authorizationToken") or event["queryStringParameters"]["key"]
    word = token.split()[-1]
    if word == "unauthorized":
        raise Exception("Unauthorized")
    if word == "broken":
        return {"not": "a policy"}
    effect = "Deny" if word == "deny" else "Allow"
    arn = event["methodArn"]
    api, stage = arn.split("/")[0], arn.split("/")[1]
    if word == "narrow":  # a policy for the method asked about only
        return {
            "principalId": "alice",
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": arn}],
            },
        }
    return {
        "principalId": "alice",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": effect,
                    "Resource": f"{api}/{stage}/GET/*",
                }
            ],
        },
        "context": {"user": "alice", "n": 1, "admin": True},
    }


def backend(event, context):
    return {
        "statusCode": 200,
        "body": json.dumps({"authorizer": event["requestContext"].get("authorizer")}),
    }
