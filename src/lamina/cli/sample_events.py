"""Sample Lambda events, shaped like the ones AWS services deliver to a function.

Every builder is pure and deterministic: the caller passes the moment (``now``, epoch seconds) and
the one unique id the event carries (a UUID string), and every other opaque value (receipt
handles, signatures, ETags, trace ids) is derived from those by hashing. The same arguments always
give the same event; fresh arguments give a fresh-looking one. The API Gateway builders live in
``sample_apigateway``; this module holds the message-shaped events and the shared formats.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote_plus

from lamina.timestamps import gateway_time, iso_millis, iso_seconds, millis

Event = dict[str, Any]

SAMPLE_NOW = 1_700_000_000.0  # 2023-11-14T22:13:20Z
SAMPLE_ID = "3f2d6c1e-8a4b-4c5d-9e6f-7a8b9c0d1e2f"
DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
# The timestamp formats the samples use (also read by sample_apigateway).
__all__ = ["gateway_time", "iso_millis", "iso_seconds", "millis"]
# TEST-NET-3 (RFC 5737): plainly an example address, never routed anywhere.
SOURCE_IP = "203.0.113.10"
LOWER36 = "abcdefghijklmnopqrstuvwxyz0123456789"
UPPER36 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def md5_hex(text: str) -> str:
    """Lower-case hex MD5 of the UTF-8 text (SQS's ``md5OfBody``)."""
    return hashlib.md5(text.encode()).hexdigest()


def derived_bytes(seed: str, label: str, size: int) -> bytes:
    """``size`` bytes that depend only on ``seed`` and ``label``."""
    # The label keeps the values derived from one seed independent of each other.
    return hashlib.shake_256(f"{label}\0{seed}".encode()).digest(size)


def derived_token(seed: str, label: str, alphabet: str, size: int) -> str:
    """``size`` characters of ``alphabet`` derived from ``seed`` and ``label``."""
    return "".join(alphabet[b % len(alphabet)] for b in derived_bytes(seed, label, size))


def derived_b64(seed: str, label: str, size: int) -> str:
    """Standard base64 of ``size`` derived bytes."""
    return base64.b64encode(derived_bytes(seed, label, size)).decode()


def derived_uuid(seed: str, label: str) -> str:
    """A version-4-shaped UUID derived from ``seed`` and ``label``."""
    return str(uuid.UUID(bytes=derived_bytes(seed, label, 16), version=4))


def _iam_user_id(account_id: str) -> str:
    # An IAM user's unique id (AIDA + 17), stable per account as a real sender's would be.
    return "AIDA" + derived_token(account_id, "iam-user", UPPER36, 17)


def sqs_event(
    *,
    body: str = "Hello from SQS!",
    queue_name: str = "my-queue",
    account_id: str = DEFAULT_ACCOUNT_ID,
    region: str = DEFAULT_REGION,
    now: float = SAMPLE_NOW,
    message_id: str = SAMPLE_ID,
) -> Event:
    """One SQS message as the Lambda event source mapping delivers it: sent at ``now``, received
    for the first time a few milliseconds later."""
    sent = millis(now)
    return {
        "Records": [
            {
                "messageId": message_id,
                "receiptHandle": "AQEB" + derived_b64(message_id, "receipt", 150),
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": str(sent),
                    "SenderId": _iam_user_id(account_id),
                    "ApproximateFirstReceiveTimestamp": str(sent + 12),
                },
                "messageAttributes": {},
                "md5OfBody": md5_hex(body),
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{region}:{account_id}:{queue_name}",
                "awsRegion": region,
            }
        ]
    }


def sns_event(
    *,
    message: str = "Hello from SNS!",
    subject: str | None = None,
    topic_name: str = "my-topic",
    account_id: str = DEFAULT_ACCOUNT_ID,
    region: str = DEFAULT_REGION,
    now: float = SAMPLE_NOW,
    message_id: str = SAMPLE_ID,
) -> Event:
    """One SNS notification delivered to a Lambda subscription; ``Subject`` is ``null`` when the
    publisher gave none, as SNS sends it."""
    topic_arn = f"arn:aws:sns:{region}:{account_id}:{topic_name}"
    subscription_arn = f"{topic_arn}:{derived_uuid(topic_arn, 'subscription')}"
    endpoint = f"https://sns.{region}.amazonaws.com"
    certificate = derived_bytes(region, "signing-cert", 16).hex()
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription_arn,
                "Sns": {
                    "Type": "Notification",
                    "MessageId": message_id,
                    "TopicArn": topic_arn,
                    "Subject": subject,
                    "Message": message,
                    "Timestamp": iso_millis(now),
                    "SignatureVersion": "1",
                    # A 2048-bit RSA signature is 256 bytes.
                    "Signature": derived_b64(message_id, "signature", 256),
                    "SigningCertUrl": f"{endpoint}/SimpleNotificationService-{certificate}.pem",
                    "UnsubscribeUrl": (
                        f"{endpoint}/?Action=Unsubscribe&SubscriptionArn={subscription_arn}"
                    ),
                    "MessageAttributes": {},
                },
            }
        ]
    }


def eventbridge_event(
    *,
    source: str = "com.example.orders",
    detail_type: str = "Order Placed",
    detail: Mapping[str, Any] | None = None,
    resources: Sequence[str] = (),
    account_id: str = DEFAULT_ACCOUNT_ID,
    region: str = DEFAULT_REGION,
    now: float = SAMPLE_NOW,
    event_id: str = SAMPLE_ID,
) -> Event:
    """An EventBridge event as a rule target receives it (envelope version ``0``)."""
    return {
        "version": "0",
        "id": event_id,
        "detail-type": detail_type,
        "source": source,
        "account": account_id,
        "time": iso_seconds(now),
        "region": region,
        "resources": list(resources),
        "detail": dict(detail or {}),
    }


def schedule_event(
    *,
    rule_name: str = "my-schedule",
    account_id: str = DEFAULT_ACCOUNT_ID,
    region: str = DEFAULT_REGION,
    now: float = SAMPLE_NOW,
    event_id: str = SAMPLE_ID,
) -> Event:
    """The ``Scheduled Event`` an EventBridge schedule rule sends: from ``aws.events``, naming the
    rule's ARN as its only resource, with an empty ``detail``."""
    return eventbridge_event(
        source="aws.events",
        detail_type="Scheduled Event",
        resources=[f"arn:aws:events:{region}:{account_id}:rule/{rule_name}"],
        account_id=account_id,
        region=region,
        now=now,
        event_id=event_id,
    )


def s3_put_event(
    *,
    bucket: str = "my-bucket",
    key: str = "uploads/example.txt",
    size: int = 1024,
    account_id: str = DEFAULT_ACCOUNT_ID,
    region: str = DEFAULT_REGION,
    now: float = SAMPLE_NOW,
    request_id: str = SAMPLE_ID,
) -> Event:
    """An ``ObjectCreated:Put`` notification. The key is URL-encoded the way S3 sends it (a space
    becomes ``+``, ``/`` stays), so handlers must ``unquote_plus`` it as they must in AWS."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": region,
                "eventTime": iso_millis(now),
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": f"AWS:{_iam_user_id(account_id)}"},
                "requestParameters": {"sourceIPAddress": SOURCE_IP},
                "responseElements": {
                    "x-amz-request-id": derived_bytes(request_id, "s3-request", 8).hex().upper(),
                    "x-amz-id-2": derived_b64(request_id, "s3-id-2", 57),
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": derived_uuid(bucket, "notification"),
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {
                            "principalId": "A" + derived_token(account_id, "owner", UPPER36, 13)
                        },
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": {
                        "key": quote_plus(key, safe="/"),
                        "size": size,
                        "eTag": derived_bytes(request_id, "etag", 16).hex(),
                        # Grows with time, all S3 promises: later events for a key sort after.
                        "sequencer": f"{round(now * 1e9):018X}",
                    },
                },
            }
        ]
    }
