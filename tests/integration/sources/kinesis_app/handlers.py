import base64
import json

# Warm environments keep this: a record whose data names "flaky-..." fails the first time.
seen = set()


def on_click(event, context):
    failures = []
    for record in event["Records"]:
        data = json.loads(base64.b64decode(record["kinesis"]["data"]))
        print(json.dumps({"clicked": data["name"], "record": record}))
        if data["name"].startswith("flaky") and data["name"] not in seen:
            seen.add(data["name"])
            failures.append({"itemIdentifier": record["kinesis"]["sequenceNumber"]})
    return {"batchItemFailures": failures}


def always_fails(event, context):
    names = [base64.b64decode(r["kinesis"]["data"]).decode() for r in event["Records"]]
    print(json.dumps({"failing": names}))
    raise RuntimeError("this function fails on every batch")


def transform(event, context):
    """A Firehose processor: upper-cases records, drops "drop", fails "bad"."""
    out = []
    for record in event["records"]:
        text = base64.b64decode(record["data"]).decode()
        if text == "drop":
            out.append({"recordId": record["recordId"], "result": "Dropped"})
        elif text == "bad":
            out.append({"recordId": record["recordId"], "result": "ProcessingFailed"})
        else:
            data = base64.b64encode((text.upper() + "\n").encode()).decode()
            out.append({"recordId": record["recordId"], "result": "Ok", "data": data})
    print(json.dumps({"transformed": len(out), "stream": event["deliveryStreamArn"]}))
    return {"records": out}


def windowed(event, context):
    """Counts a tumbling window's records in its state; says the total on the final call."""
    count = event["state"].get("count", 0) + len(event["Records"])
    print(
        json.dumps(
            {
                "windowed": len(event["Records"]),
                "count": count,
                "final": event["isFinalInvokeForWindow"],
                "window": event["window"],
                "shard": event["shardId"],
            }
        )
    )
    return {"state": {"count": count}}
