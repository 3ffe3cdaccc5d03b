import json


def tick(event, context):
    print(json.dumps({"tick": event}))
