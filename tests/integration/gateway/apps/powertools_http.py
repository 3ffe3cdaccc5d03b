"""An aws-lambda-powertools HTTP API app, written as for AWS."""

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

app = APIGatewayHttpResolver()


@app.get("/pth/hello/<name>")
def hello(name: str):
    event = app.current_event
    return {"message": f"hello {name}", "cookies": event.cookies, "path": event.raw_path}


def handler(event, context):
    return app.resolve(event, context)
