"""Malformed JSON thrown at DynamoDB's endpoint, signed as an SDK signs it: the answer is always a
4xx with DynamoDB's error shape, never a 500, whatever the body (not JSON, the wrong types, the
wrong shapes)."""

from __future__ import annotations

import http.client
import json
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.compat.dynamodb.harness import CREDENTIALS, REGION, LaminaServer

_OPERATIONS = st.sampled_from(
    ["PutItem", "GetItem", "Query", "Scan", "UpdateItem", "CreateTable", "BatchWriteItem",
     "TransactWriteItems", "ExecuteStatement", "DescribeTable", "NoSuchOperation"]
)  # fmt: skip
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "TableName",
                    "Key",
                    "Item",
                    "S",
                    "N",
                    "M",
                    "L",
                    "KeyConditionExpression",
                    "ExpressionAttributeValues",
                    "UpdateExpression",
                    "RequestItems",
                    "Statement",
                    "AttributeDefinitions",
                    "KeySchema",
                    "x",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=10,
)
_BODIES = st.one_of(
    _JSON.map(lambda doc: json.dumps(doc).encode()),
    st.binary(max_size=40),
    st.sampled_from([b"", b"{", b"[]", b'{"TableName": ', b"\xff\xfe", b'{"TableName":"t"}']),
)


def _signed(url: str, target: str, body: bytes) -> AWSRequest:
    request = AWSRequest(
        method="POST",
        url=url + "/",
        data=body,
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"DynamoDB_20120810.{target}",
        },
    )
    keys = Credentials(CREDENTIALS["aws_access_key_id"], CREDENTIALS["aws_secret_access_key"])
    SigV4Auth(keys, "dynamodb", REGION).add_auth(request)
    return request


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operation=_OPERATIONS, body=_BODIES)
def test_any_body_gets_a_4xx_in_dynamodbs_shape(
    lamina: Any, lamina_server: LaminaServer, operation: str, body: bytes
) -> None:
    request = _signed(lamina_server.url, operation, body)
    host = lamina_server.url.removeprefix("http://")
    connection = http.client.HTTPConnection(host, timeout=30)
    try:
        connection.request("POST", "/", body=body, headers=dict(request.headers.items()))
        answer = connection.getresponse()
        payload = answer.read()
    finally:
        connection.close()
    assert answer.status < 500, payload
    if answer.status >= 400:
        assert "__type" in json.loads(payload)
