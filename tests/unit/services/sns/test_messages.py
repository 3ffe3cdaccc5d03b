"""What SNS sends: the envelope byte for byte in SNS's own layout, the Lambda event with the
fields of AWS's sample, and MessageStructure=json's choice per protocol."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lamina.services.sns import messages

REFERENCE = Path(__file__).parents[4].parent / "shared" / "reference" / "events"


def _notification() -> dict[str, object]:
    return {
        "Type": "Notification",
        "MessageId": "d88d4479-6ec0-54fe-b63f-1cf9df4bb16e",
        "TopicArn": "arn:aws:sns:eu-west-1:231436140809:powertools265",
        "Subject": None,
        "Message": '{"message": "hello world", "username": "lessa"}',
        "Timestamp": "2021-01-19T10:07:07.287Z",
        "MessageAttributes": {},
    }


def test_the_envelope_has_snss_layout() -> None:
    """The envelope an SQS queue receives is laid out as in AWS's sample (snsSqsEvent.json):
    same keys in the same order, two-space indent, " : " after each key."""
    if not REFERENCE.is_dir():
        pytest.skip("shared reference events not present")
    sample = json.loads((REFERENCE / "snsSqsEvent.json").read_text())["Records"][0]["body"]
    document = json.loads(sample)
    assert messages.envelope_text(document) == sample
    ours = messages.envelope(_notification(), "eu-west-1", document["UnsubscribeURL"])
    assert list(ours) == list(document)
    assert messages.envelope_text(ours).splitlines()[1] == '  "Type" : "Notification",'


def test_attributes_in_the_envelope_are_one_line_each() -> None:
    """MessageAttributes close the envelope, each attribute compact on its own line."""
    notification = {**_notification(), "MessageAttributes": {"a": {"Type": "String", "Value": "x"}}}
    text = messages.envelope_text(messages.envelope(notification, "eu-west-1", None))
    assert '  "MessageAttributes" : {\n    "a" : {"Type":"String","Value":"x"}\n  }\n}' in text
    assert json.loads(text)["MessageAttributes"] == {"a": {"Type": "String", "Value": "x"}}


def test_the_lambda_event_has_the_fields_of_awss_sample() -> None:
    """Every field of AWS's snsEvent.json sample is in ours, at the same places."""
    if not REFERENCE.is_dir():
        pytest.skip("shared reference events not present")
    sample = json.loads((REFERENCE / "snsEvent.json").read_text())["Records"][0]
    ours = messages.lambda_event(_notification(), "arn:sub", "eu-west-1", "http://x")["Records"][0]
    assert set(ours) == set(sample)
    assert set(ours["Sns"]) == set(sample["Sns"])
    assert ours["Sns"]["Subject"] is None  # as SNS sends a publish without one


def test_message_structure_json_picks_the_protocols_entry() -> None:
    """With MessageStructure=json each protocol gets its own entry, else "default"."""
    body = json.dumps({"default": "d", "sqs": "q", "email": "e"})
    assert messages.choose_message(body, "json", "sqs") == "q"
    assert messages.choose_message(body, "json", "lambda") == "d"
    assert messages.choose_message(body, None, "sqs") == body
