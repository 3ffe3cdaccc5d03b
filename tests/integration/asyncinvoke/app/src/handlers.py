"""Handlers that leave durable traces: each appends one line to a file named in the event."""

import json
import os
import time


def _append(path, line):
    # One write on an O_APPEND descriptor: lines from concurrent environments never interleave.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def record(event, context):
    time.sleep(event.get("sleep", 0))
    _append(event["file"], str(event["id"]))
    return {"id": event["id"]}


def fail(event, context):
    _append(event["file"], context.aws_request_id)
    raise ValueError(f"failing on purpose: {event['n']}")


def succeed(event, context):
    return {"doubled": event["n"] * 2}


def sink(event, context):
    _append(event["requestPayload"]["sink_file"], json.dumps(event))
    return "stored"
