"""An aws-lambda-powertools REST API app, written as for AWS."""

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types

app = APIGatewayRestResolver()


@app.get("/pt/hello/<name>")
def hello(name: str):
    return {"message": f"hello {name}", "query": app.current_event.get_query_string_value("q")}


@app.post("/pt/items")
def create():
    item = app.current_event.json_body
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body={"created": item, "stage": app.current_event.request_context.stage},
        headers={"X-Powertools": "rest"},
    )


def handler(event, context):
    return app.resolve(event, context)
