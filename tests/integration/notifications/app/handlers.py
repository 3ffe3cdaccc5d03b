import json


def uploaded(event, context):
    for record in event["Records"]:
        print(json.dumps({"uploaded": record}))
