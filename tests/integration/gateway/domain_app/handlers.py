import json


def echo(event, context):
    """Answers what routing decided: the event's path fields and its requestContext."""
    context_ = event["requestContext"]
    return {
        "statusCode": 200,
        "body": json.dumps(
            {
                "path": event.get("path") or event.get("rawPath"),
                "resource": event.get("resource") or event.get("routeKey"),
                "contextPath": context_.get("path") or context_.get("http", {}).get("path"),
                "stage": context_["stage"],
                "apiId": context_["apiId"],
                "domainName": context_["domainName"],
                "domainPrefix": context_["domainPrefix"],
                "pathParameters": event.get("pathParameters"),
            }
        ),
    }
