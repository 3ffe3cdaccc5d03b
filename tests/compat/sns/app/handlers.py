import json
import os

import boto3


def record(event, context):
    print("EVENT " + json.dumps({"function": context.function_name, "event": event}))
    return {"env": {k: os.environ.get(k) for k in ("ORDERS", "AUDIT_NAME")}}


def publish(event, context):
    sns = boto3.client("sns")
    answer = sns.publish(TopicArn=os.environ["AUDIT"], Message=event["message"])
    return {"MessageId": answer["MessageId"]}


def fail(event, context):
    raise RuntimeError("failed on purpose: " + event.get("tag", ""))
