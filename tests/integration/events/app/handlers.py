import json


def handle(event, context):
    print(json.dumps({"got": event}))
