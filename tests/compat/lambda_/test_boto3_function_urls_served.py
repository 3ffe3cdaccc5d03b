"""A Function URL created through the Lambda API (CreateFunctionUrlConfig) answers at its URL,
on its own host and under /_lamina/urls/, until its configuration is deleted; an AWS_IAM URL is
never served unauthenticated. (It used to be reported but never served: 403.)"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Callable
from typing import Any

from tests.integration.asyncinvoke.lamina_up import LaminaUp


def get(server: LaminaUp, url: str, path: str = "/hi?x=1") -> tuple[int, bytes]:
    """GET ``path`` on the API port with ``url``'s host as the Host header."""
    parts = urllib.parse.urlsplit(url)
    port = server.log().split("APIs:")[1].split()[0].rsplit(":", 1)[1]
    connection = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
    try:
        connection.request("GET", path, headers={"Host": parts.netloc})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_a_url_created_by_api_answers(
    server: LaminaUp, client: Any, make_function: Callable[..., str]
) -> None:
    """The URL boto3 got back answers with the function's result, the event in payload 2.0."""
    name = make_function("handlers.echo")
    url = client.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    assert f":{server.log().split('APIs:')[1].split()[0].rsplit(':', 1)[1]}/" in url
    status, body = get(server, url)
    assert status == 200, body
    event = json.loads(body)
    assert event["version"] == "2.0"
    assert event["rawPath"] == "/hi"
    assert event["queryStringParameters"] == {"x": "1"}
    assert event["requestContext"]["domainName"] == urllib.parse.urlsplit(url).hostname

    client.delete_function_url_config(FunctionName=name)
    status, _ = get(server, url)
    assert status in (403, 404)


def test_a_template_function_gets_a_url_by_api(server: LaminaUp, client: Any) -> None:
    """A template function's URL created through the API answers too."""
    name = next(
        f["FunctionName"]
        for f in client.list_functions()["Functions"]
        if "TemplateFunction" in f["FunctionName"]
    )
    url = client.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    try:
        status, body = get(server, url)
        assert status == 200, body
    finally:
        client.delete_function_url_config(FunctionName=name)


def test_an_aws_iam_url_is_not_open(
    server: LaminaUp, client: Any, make_function: Callable[..., str]
) -> None:
    """AuthType AWS_IAM is not enforced yet, so the URL is not served at all: an unsigned
    request never reaches the function."""
    name = make_function("handlers.echo")
    url = client.create_function_url_config(FunctionName=name, AuthType="AWS_IAM")["FunctionUrl"]
    status, body = get(server, url)
    assert status in (403, 404), body
    assert b"rawPath" not in body
