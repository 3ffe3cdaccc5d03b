"""The query protocol (``Action=...`` forms, XML answers) as older SDKs send it, signed with
SigV4, and the AWS CLI, against the same queues boto3 uses."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.compat.protocols.served import KEY_ID, SECRET, Served
from tests.compat.sqs.conftest import ACCOUNT

NS = {"s": "http://queue.amazonaws.com/doc/2012-11-05/"}


def query(served: Served, fields: dict[str, str], path: str = "/") -> tuple[int, ET.Element]:
    """A signed query-protocol POST; (status, parsed XML answer)."""
    body = urllib.parse.urlencode({**fields, "Version": "2012-11-05"})
    request = AWSRequest(
        method="POST",
        url=served.url + path,
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    SigV4Auth(Credentials(KEY_ID, SECRET), "sqs", "us-east-1").add_auth(request)
    prepared = urllib.request.Request(
        served.url + path, data=body.encode(), headers=dict(request.headers), method="POST"
    )
    try:
        with urllib.request.urlopen(prepared, timeout=30) as response:
            return response.status, ET.fromstring(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, ET.fromstring(exc.read())


def _text(root: ET.Element, path: str) -> str:
    found = root.find(path, NS)
    assert found is not None, ET.tostring(root)
    return found.text or ""


def test_query_round_trip(served: Served) -> None:
    """CreateQueue with Attribute.N.Name/Value, SendMessage with MessageAttribute.N, then
    ReceiveMessage with AttributeName.N: XML answers in SQS's namespace with the query names
    (<Message>, <Attribute><Name/><Value/></Attribute>, <MessageAttribute>)."""
    status, created = query(
        served,
        {
            "Action": "CreateQueue",
            "QueueName": "legacy",
            "Attribute.1.Name": "VisibilityTimeout",
            "Attribute.1.Value": "40",
        },
    )
    assert status == 200
    url = _text(created, "s:CreateQueueResult/s:QueueUrl")
    assert url.endswith(f"/{ACCOUNT}/legacy")
    status, sent = query(
        served,
        {
            "Action": "SendMessage",
            "QueueUrl": url,
            "MessageBody": "from an old SDK",
            "MessageAttribute.1.Name": "color",
            "MessageAttribute.1.Value.DataType": "String",
            "MessageAttribute.1.Value.StringValue": "blue",
        },
    )
    assert status == 200
    assert _text(sent, "s:SendMessageResult/s:MD5OfMessageBody")
    assert _text(sent, "s:SendMessageResult/s:MD5OfMessageAttributes")
    _, received = query(
        served,
        {
            "Action": "ReceiveMessage",
            "QueueUrl": url,
            "AttributeName.1": "All",
            "MessageAttributeName.1": "All",
        },
    )
    message = received.find("s:ReceiveMessageResult/s:Message", NS)
    assert message is not None
    assert _text(message, "s:Body") == "from an old SDK"
    names = {_text(a, "s:Name"): _text(a, "s:Value") for a in message.findall("s:Attribute", NS)}
    assert names["ApproximateReceiveCount"] == "1"
    attribute = message.find("s:MessageAttribute", NS)
    assert attribute is not None
    assert _text(attribute, "s:Name") == "color"
    assert _text(attribute, "s:Value/s:StringValue") == "blue"
    _, attrs = query(
        served,
        {"Action": "GetQueueAttributes", "QueueUrl": url, "AttributeName.1": "VisibilityTimeout"},
    )
    pairs = attrs.findall("s:GetQueueAttributesResult/s:Attribute", NS)
    assert [(_text(p, "s:Name"), _text(p, "s:Value")) for p in pairs] == [
        ("VisibilityTimeout", "40")
    ]


def test_query_request_to_the_queue_url(served: Served) -> None:
    """An SDK that posts to the queue's URL and leaves QueueUrl out of the form reaches the
    queue the path names; ListQueues lists it with repeated <QueueUrl> elements."""
    query(served, {"Action": "CreateQueue", "QueueName": "bypath"})
    status, _ = query(
        served, {"Action": "SendMessage", "MessageBody": "via path"}, f"/{ACCOUNT}/bypath"
    )
    assert status == 200
    _, received = query(served, {"Action": "ReceiveMessage"}, f"/{ACCOUNT}/bypath")
    assert _text(received, "s:ReceiveMessageResult/s:Message/s:Body") == "via path"
    _, listed = query(served, {"Action": "ListQueues"})
    assert [u.text for u in listed.findall("s:ListQueuesResult/s:QueueUrl", NS)] == [
        f"http://localhost:4566/{ACCOUNT}/bypath"
    ]


def test_query_errors_use_the_query_codes(served: Served) -> None:
    """A missing queue is AWS.SimpleQueueService.NonExistentQueue in an <ErrorResponse>
    (Sender), a batch with repeated ids AWS.SimpleQueueService.BatchEntryIdsNotDistinct."""
    status, error = query(served, {"Action": "GetQueueUrl", "QueueName": "missing"})
    assert status == 400
    assert _text(error, "s:Error/s:Code") == "AWS.SimpleQueueService.NonExistentQueue"
    assert _text(error, "s:Error/s:Type") == "Sender"
    query(served, {"Action": "CreateQueue", "QueueName": "b"})
    status, error = query(
        served,
        {
            "Action": "SendMessageBatch",
            "QueueUrl": f"http://localhost/{ACCOUNT}/b",
            "SendMessageBatchRequestEntry.1.Id": "x",
            "SendMessageBatchRequestEntry.1.MessageBody": "1",
            "SendMessageBatchRequestEntry.2.Id": "x",
            "SendMessageBatchRequestEntry.2.MessageBody": "2",
        },
    )
    assert status == 400
    assert _text(error, "s:Error/s:Code") == "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"


def test_query_and_json_see_the_same_messages(served: Served) -> None:
    """A message sent by a query client is received by boto3 (json) with the same digest."""
    sqs = served.client("sqs")
    url = sqs.create_queue(QueueName="mixed")["QueueUrl"]
    _, sent = query(served, {"Action": "SendMessage", "QueueUrl": url, "MessageBody": "mix"})
    message = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert message["Body"] == "mix"
    assert message["MD5OfBody"] == _text(sent, "s:SendMessageResult/s:MD5OfMessageBody")


def _cli(served: Served, *args: str) -> Any:
    done = served.cli("sqs", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else None


def test_aws_cli(served: Served) -> None:
    """The AWS CLI creates a queue, sends, receives and deletes a message, and reads the
    attributes; a missing queue is reported with SQS's error."""
    url = _cli(served, "create-queue", "--queue-name", "cli")["QueueUrl"]
    _cli(served, "send-message", "--queue-url", url, "--message-body", "hello cli")
    got = _cli(served, "receive-message", "--queue-url", url, "--attribute-names", "All")
    message = got["Messages"][0]
    assert message["Body"] == "hello cli"
    _cli(served, "delete-message", "--queue-url", url, "--receipt-handle", message["ReceiptHandle"])
    attributes = _cli(
        served, "get-queue-attributes", "--queue-url", url, "--attribute-names", "All"
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
    missing = served.cli("sqs", "get-queue-url", "--queue-name", "missing")
    assert missing.returncode != 0
    assert "NonExistentQueue" in missing.stderr or "QueueDoesNotExist" in missing.stderr


def test_query_missing_parameter(served: Served) -> None:
    """A query request without a required parameter is SQS's MissingParameter, naming it."""
    status, error = query(served, {"Action": "CreateQueue"})
    assert status == 400
    assert _text(error, "s:Error/s:Code") == "MissingParameter"
    assert _text(error, "s:Error/s:Message") == "The request must contain the parameter QueueName."


def test_json_error_shape_as_aws_documents_it(served: Served) -> None:
    """A json error carries __type com.amazonaws.sqs#QueueDoesNotExist and the header
    x-amzn-query-error: AWS.SimpleQueueService.NonExistentQueue;Sender (SDKs such as the
    JavaScript v3 client read the header), as AWS's SQS guide shows."""
    body = json.dumps({"QueueName": "missing"})
    request = AWSRequest(
        method="POST",
        url=served.url + "/",
        data=body,
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "AmazonSQS.GetQueueUrl",
        },
    )
    SigV4Auth(Credentials(KEY_ID, SECRET), "sqs", "us-east-1").add_auth(request)
    prepared = urllib.request.Request(
        served.url + "/", data=body.encode(), headers=dict(request.headers), method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(prepared, timeout=30)
    with raised.value as response:
        assert response.code == 400
        assert response.headers["x-amzn-query-error"] == (
            "AWS.SimpleQueueService.NonExistentQueue;Sender"
        )
        assert response.headers["Content-Type"] == "application/x-amz-json-1.0"
        assert json.loads(response.read()) == {
            "__type": "com.amazonaws.sqs#QueueDoesNotExist",
            "message": "The specified queue does not exist.",
        }
