import os

CODE = "template"  # the tests' zip packages say something else


def handler(event, context):
    return {
        "code": CODE,
        "greeting": os.environ.get("GREETING"),
        "memory": int(context.memory_limit_in_mb),
        "remaining_ms": context.get_remaining_time_in_millis(),
    }
