"""Functions that use queues from inside Lamina's environments."""

import os

import boto3


def send(event, context):
    """Sends ``event['body']`` to the queue the template's Ref gives; returns what it saw."""
    sqs = boto3.client("sqs")
    sent = sqs.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=event["body"])
    return {
        "message_id": sent["MessageId"],
        "url": os.environ["QUEUE_URL"],
        "url_att": os.environ["QUEUE_URL_ATT"],
        "name": os.environ["QUEUE_NAME"],
        "arn": os.environ["QUEUE_ARN"],
    }


def fail(event, context):
    raise ValueError(f"failing on purpose: {event['n']}")
