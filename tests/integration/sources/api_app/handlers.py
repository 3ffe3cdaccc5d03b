import json


def read(event, context):
    for record in event["Records"]:
        print(json.dumps({"read": record["body"]}))
