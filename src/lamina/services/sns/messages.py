"""What SNS sends, in each shape its subscribers receive.

A *notification* is what the outbox stores per subscription: SNS's own JSON envelope fields
(``Type``, ``MessageId``, ``TopicArn``, ``Subject``, ``Message``, ``Timestamp``,
``MessageAttributes`` as ``{"Type", "Value"}``, and for FIFO topics the group, deduplication id
and ``SequenceNumber``), with ``Message`` already chosen for the subscriber's protocol
(``MessageStructure=json``). From it this module writes:

* ``envelope``: the JSON document SQS (not raw), HTTP/S (not raw) and ``email-json`` endpoints
  receive, with the signature fields in AWS's shape: ``SignatureVersion`` 1, a base64
  ``Signature`` the length of a 2048-bit RSA signature, ``SigningCertURL``; ``UnsubscribeURL``
  is Lamina's own, so that it works;
* ``lambda_event``: the ``{"Records": [{"EventSource": "aws:sns", ..., "Sns": {...}}]}`` event;
* ``sqs_message``: the ``lamina.delivery.Message`` for a queue, raw or enveloped.

Lamina does not sign with a private key of AWS's: code that verifies signatures against AWS's
certificate fails here, as it would against any local endpoint.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any

from lamina import fastjson
from lamina.delivery import Attribute, Message

NOTIFICATION = "Notification"
CONFIRMATION = "SubscriptionConfirmation"


def signature(message_id: str, body: str) -> str:
    """256 bytes derived from the message, base64: the shape of SNS's SHA1withRSA signature."""
    seed = hashlib.sha256(f"{message_id}\n{body}".encode()).digest()
    raw = b"".join(hashlib.sha256(seed + bytes([i])).digest() for i in range(8))
    return base64.b64encode(raw).decode()


def cert_url(region: str) -> str:
    digest = hashlib.sha256(region.encode()).hexdigest()[:32]
    return f"https://sns.{region}.amazonaws.com/SimpleNotificationService-{digest}.pem"


def wire_attributes(attributes: Mapping[str, Attribute]) -> dict[str, dict[str, str]]:
    """Attributes as notifications carry them: ``{"Type": ..., "Value": ...}``, binary values
    in base64."""
    out = {}
    for name, attribute in attributes.items():
        if attribute.binary_value is not None:
            value = base64.b64encode(attribute.binary_value).decode()
        else:
            value = attribute.string_value or ""
        out[name] = {"Type": attribute.data_type, "Value": value}
    return out


def delivery_attributes(wire: Mapping[str, Mapping[str, str]]) -> dict[str, Attribute]:
    """The notification's attributes back as ``Attribute`` values (for raw SQS delivery)."""
    out = {}
    for name, entry in wire.items():
        kind = entry.get("Type", "String")
        if kind.startswith("Binary"):
            out[name] = Attribute(kind, binary_value=base64.b64decode(entry.get("Value", "")))
        else:
            out[name] = Attribute(kind, string_value=entry.get("Value", ""))
    return out


def envelope(
    notification: Mapping[str, Any], region: str, unsubscribe_url: str | None
) -> dict[str, Any]:
    """The JSON envelope, its keys in AWS's order (absent Subject and attributes are left out)."""
    doc: dict[str, Any] = {
        "Type": notification["Type"],
        "MessageId": notification["MessageId"],
    }
    if "Token" in notification:
        doc["Token"] = notification["Token"]
    doc["TopicArn"] = notification["TopicArn"]
    if notification.get("Subject") is not None:
        doc["Subject"] = notification["Subject"]
    doc["Message"] = notification["Message"]
    if "SubscribeURL" in notification:
        doc["SubscribeURL"] = notification["SubscribeURL"]
    doc["Timestamp"] = notification["Timestamp"]
    if notification.get("SequenceNumber") is not None:
        doc["SequenceNumber"] = notification["SequenceNumber"]
    doc["SignatureVersion"] = "1"
    doc["Signature"] = signature(notification["MessageId"], notification["Message"])
    doc["SigningCertURL"] = cert_url(region)
    if unsubscribe_url is not None:
        doc["UnsubscribeURL"] = unsubscribe_url
    if notification.get("MessageAttributes"):
        doc["MessageAttributes"] = notification["MessageAttributes"]
    return doc


def envelope_text(document: Mapping[str, Any]) -> str:
    """The envelope as SNS writes it to queues and endpoints (``{\n  "Type" : ...``)."""
    # SNS's own printer: two-space indent, " : " after keys, attributes one line each.
    lines = []
    for key, value in document.items():
        if isinstance(value, Mapping):
            inner = ",\n".join(
                f"    {fastjson.dumps_text(k)} : {fastjson.dumps_text(v)}" for k, v in value.items()
            )
            text = f"{{\n{inner}\n  }}"
        else:
            text = fastjson.dumps_text(value)
        lines.append(f"  {fastjson.dumps_text(key)} : {text}")
    return "{\n" + ",\n".join(lines) + "\n}"


def lambda_event(
    notification: Mapping[str, Any], subscription_arn: str, region: str, unsubscribe_url: str
) -> dict[str, Any]:
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription_arn,
                "Sns": {
                    "Type": notification["Type"],
                    "MessageId": notification["MessageId"],
                    "TopicArn": notification["TopicArn"],
                    "Subject": notification.get("Subject"),
                    "Message": notification["Message"],
                    "Timestamp": notification["Timestamp"],
                    "SignatureVersion": "1",
                    "Signature": signature(notification["MessageId"], notification["Message"]),
                    "SigningCertUrl": cert_url(region),
                    "UnsubscribeUrl": unsubscribe_url,
                    "MessageAttributes": dict(notification.get("MessageAttributes") or {}),
                },
            }
        ]
    }


def sqs_message(
    notification: Mapping[str, Any], raw: bool, region: str, unsubscribe_url: str
) -> Message:
    if raw:
        body = notification["Message"]
        attributes = delivery_attributes(notification.get("MessageAttributes") or {})
    else:
        body = envelope_text(envelope(notification, region, unsubscribe_url))
        attributes = {}
    return Message(
        body=body,
        attributes=attributes,
        group_id=notification.get("MessageGroupId"),
        deduplication_id=notification.get("MessageDeduplicationId"),
        source_arn=notification["TopicArn"],
        trace_header=notification.get("TraceHeader"),
    )


def choose_message(message: str, structure: str | None, protocol: str) -> str:
    """The text a subscriber of ``protocol`` receives: with ``MessageStructure=json`` the
    protocol's own entry, else ``default`` (already checked by ``parse_structured``)."""
    if structure != "json":
        return message
    document = fastjson.loads(message)
    chosen = document.get(protocol, document["default"])
    return chosen if isinstance(chosen, str) else fastjson.dumps_text(chosen)
