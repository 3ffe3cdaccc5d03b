import json


def step(event, context):
    print(json.dumps({"ran": event.get("step")}))
    return {"step": event.get("step"), "ok": True}


def fail(event, context):
    raise ValueError("bad item")


def slow(event, context):
    import time

    print(json.dumps({"ran": "slow"}))
    if event.get("attempt", 0) == 0:
        # The first attempt outlives the test's kill -9; the retry answers at once.
        time.sleep(60)
    return {"slept": True}
