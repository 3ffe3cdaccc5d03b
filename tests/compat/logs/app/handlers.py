import json
import sys
import time


def sleepy(event, context):
    print("before the sleep", flush=True)
    time.sleep(2)
    return {"statusCode": 200, "body": "awake"}


def chatty(event, context):
    for level in ("INFO", "ERROR", "DEBUG"):
        print(json.dumps({"level": level, "tag": event.get("tag", ""), "n": 7}))
    print(f"plain words tag={event.get('tag', '')}")
    return "ok"


def flood(event, context):
    line = "x" * 999 + "\n"
    block = line * 1000
    for _ in range(event.get("megabytes", 200)):
        sys.stdout.write(block)
    sys.stdout.flush()
    return "flooded"
