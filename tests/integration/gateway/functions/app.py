"""Handlers behind the gateway in the integration tests: each shows one way a function answers."""

import base64
import hashlib
import json
import os
import time
from pathlib import Path


def _report(event, context):
    return {
        "function": context.function_name,
        "trace": os.environ.get("_X_AMZN_TRACE_ID"),
        "event": event,
    }


def echo(event, context):
    """A v1 proxy answer whose body is the event, the function's name and its trace id."""
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(_report(event, context)),
    }


def echo_inferred(event, context):
    """No statusCode: a 2.0 integration infers 200 and a JSON body."""
    return _report(event, context)


def raises(event, context):
    print("secret printed output")
    raise ValueError("boom")


def plain_string(event, context):
    return "just a string"


def no_status(event, context):
    return {"body": "no status code", "extra": 1}


def string_status(event, context):
    return {"statusCode": "201", "unknown": "ignored"}


def multi_headers(event, context):
    return {
        "statusCode": 200,
        "headers": {"MyCustomHeader": "Custom", "Content-Type": "text/plain"},
        "multiValueHeaders": {"MyCustomHeader": ["Value1", "Value2"]},
        "body": "merged",
    }


def smuggle(event, context):
    """A header that would end the head and forge a second response, if it went out as is."""
    where = (event.get("queryStringParameters") or {}).get("in", "value")
    forged = "x\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nX-Forged: yes"
    headers = {"X-Name\r\nX-Forged: yes": "v"} if where == "name" else {"X-Note": forged}
    if where == "nul":
        headers = {"X-Note": "a\0b"}
    return {"statusCode": 200, "headers": headers, "body": "smuggled"}


def binary(event, context):
    return {
        "statusCode": 200,
        "isBase64Encoded": True,
        "headers": {"Content-Type": "image/png"},
        "body": base64.b64encode(b"\x89PNG\r\n\x1a\n\x00\xff").decode(),
    }


def cookies(event, context):
    return {"statusCode": 200, "cookies": ["a=1; Path=/", "b=2"], "body": "cookies"}


def digest(event, context):
    """How big the body that arrived is, and its hash (to check large bodies arrive intact)."""
    body = event.get("body") or ""
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
    return {
        "statusCode": 200,
        "body": json.dumps({"size": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}),
    }


def sleepy(event, context):
    time.sleep(float((event.get("queryStringParameters") or {}).get("s", "2")))
    return {"statusCode": 200, "body": "slept"}


def barrier(event, context):
    """Waits until `n` invocations are inside at once: it only answers when they run in
    parallel (each runs in its own environment), and times out otherwise."""
    query = event.get("queryStringParameters") or {}
    room = Path(query["dir"])
    count = int(query["n"])
    (room / context.aws_request_id).touch()
    while len(list(room.iterdir())) < count:
        time.sleep(0.01)
    # The host's pid (/proc is the host's): inside its PID namespace each environment is 1.
    return {"statusCode": 200, "body": json.dumps({"pid": int(os.readlink("/proc/self"))})}
