import json


def on_order(event, context):
    for record in event["Records"]:
        print(json.dumps({"kept": record["dynamodb"]["Keys"]["id"]["S"]}))
