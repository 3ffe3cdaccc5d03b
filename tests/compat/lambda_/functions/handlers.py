"""Handlers of the functions the compatibility tests create through the Lambda API."""

import os
import time

CODE = "A"  # the tests rewrite this line to tell code revisions apart


def code(event, context):
    return {"code": CODE, "version": context.function_version}


def echo(event, context):
    print("echo log line")
    return event


def fail(event, context):
    raise RuntimeError(f"bad {event.get('n')}")


def record(event, context):
    fd = os.open(event["file"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{event['id']}\n".encode())
    finally:
        os.close(fd)
    return "recorded"


def hold(event, context):
    """Runs until the test creates the ``release`` file (a bounded wait)."""
    open(event["started"], "w").close()
    deadline = time.monotonic() + 20
    while not os.path.exists(event.get("release", "")) and time.monotonic() < deadline:
        time.sleep(0.01)
    return "held"


def client_context(event, context):
    custom = context.client_context.custom if context.client_context else None
    return {"custom": custom, "arn": context.invoked_function_arn}
