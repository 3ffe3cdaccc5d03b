"""Handlers the engine tests invoke; each returns what the test needs to observe."""

import ctypes
import logging
import os
import subprocess
import sys
import time

CALLS = 0
LOADED_AT = time.time()


def _pid():
    """This process's pid as the host (and the test) sees it: inside its PID namespace an
    environment is process 1, but /proc is the host's."""
    return int(os.readlink("/proc/self"))


def count(event, context):
    global CALLS
    CALLS += 1
    return {"calls": CALLS, "pid": _pid()}


def sleep(event, context):
    started = time.time()
    time.sleep(event.get("seconds", 0.5))
    return {"pid": _pid(), "started": started, "ended": time.time()}


def context_fields(event, context):
    before = context.get_remaining_time_in_millis()
    time.sleep(event.get("sleep", 0))
    after = context.get_remaining_time_in_millis()
    return {
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "aws_request_id": context.aws_request_id,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "identity": {
            "cognito_identity_id": context.identity.cognito_identity_id,
            "cognito_identity_pool_id": context.identity.cognito_identity_pool_id,
        },
        "client_context": None
        if context.client_context is None
        else {
            "custom": context.client_context.custom,
            "env": context.client_context.env,
            "installation_id": context.client_context.client.installation_id,
        },
        "tenant_id": context.tenant_id,
        "before": before,
        "after": after,
    }


def environment(event, context):
    with open("/proc/self/environ", "rb") as raw:
        initial = raw.read().decode("utf-8", "replace")
    return {
        "env": dict(os.environ),
        "proc_environ": initial,
        "cwd": os.getcwd(),
        "path": sys.path[:6],
    }


def logs(event, context):
    print("printed line")
    sys.stderr.write("stderr line\n")
    logging.getLogger().warning("warned %s", "here")
    logging.getLogger().info("info line")
    logging.getLogger().debug("debug line")
    os.write(1, b"raw fd line\n")
    return "ok"


def fail(event, context):
    return 1 / 0


def unserialisable(event, context):
    return {"a": {1, 2}}


def big_echo(event, context):
    return {"size": len(event["data"]), "tail": event["data"][-10:]}


def big_result(event, context):
    return "x" * (7 * 1024 * 1024)


def grow(event, context):
    hog = [b"x" * (1024 * 1024) for _ in range(event.get("mb", 400))]
    return len(hog)


def segfault(event, context):
    ctypes.string_at(0)


def exit_now(event, context):
    os._exit(3)


def write_tmp(event, context):
    import tempfile

    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(b"data")
    return {"tmp": f.name, "tmpdir": tempfile.gettempdir()}


def modules(event, context):
    import boto3

    return {"boto3_file": boto3.__file__, "boto3_version": boto3.__version__}


def layered(event, context):
    import layer_helper

    return layer_helper.greet()


def trace_seen(event, context):
    shell = subprocess.run(
        ["sh", "-c", 'printf %s "$_X_AMZN_TRACE_ID"'], capture_output=True, text=True, check=True
    )
    seen = {"python": os.environ.get("_X_AMZN_TRACE_ID"), "subprocess": shell.stdout}
    if "set" in event:  # user code changing the variable itself
        os.environ["_X_AMZN_TRACE_ID"] = event["set"]
    if event.get("unset"):
        del os.environ["_X_AMZN_TRACE_ID"]
    return seen


def chatter(event, context):
    for i in range(event.get("lines", 3)):
        print(f"{context.aws_request_id} line {i} " + "x" * event.get("width", 10))
    return event.get("lines", 3)


def tmp_files(event, context):
    """Writes /tmp/NAME (a literal path, as Lambda code does) and lists /tmp."""
    if event.get("write"):
        with open(f"/tmp/{event['write']}", "w") as out:
            out.write("mine")
    return sorted(os.listdir("/tmp"))


def import_named(event, context):
    """Imports the module the event names (from wherever the interpreter finds it)."""
    import importlib

    return importlib.import_module(event["module"]).VALUE


def read_file(event, context):
    """Reads the file the event names; the error's type if it cannot."""
    try:
        with open(event["path"], "rb") as source:
            return {"read": len(source.read())}
    except OSError as exc:
        return {"error": type(exc).__name__}
