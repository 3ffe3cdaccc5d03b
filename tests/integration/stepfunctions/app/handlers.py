import json


def step(event, context):
    print(json.dumps({"ran": event.get("step")}))
    return {"step": event.get("step"), "ok": True}


def fail(event, context):
    raise ValueError("bad item")


def slow(event, context):
    import time

    print(json.dumps({"ran": "slow"}))
    time.sleep(event.get("sleep", 2))
    return {"slept": True}
