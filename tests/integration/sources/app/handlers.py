import json

# Warm environments keep this: an item named "flaky-..." fails the first time it is seen.
seen = set()


def on_change(event, context):
    failures = []
    for record in event["Records"]:
        key = record["dynamodb"]["Keys"]["id"]["S"]
        print(
            json.dumps(
                {
                    "seen": key,
                    "event": record["eventName"],
                    "source": record["eventSourceARN"],
                    "seq": record["dynamodb"]["SequenceNumber"],
                }
            )
        )
        if key.startswith("flaky") and key not in seen:
            seen.add(key)
            failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
    return {"batchItemFailures": failures}


def always_fails(event, context):
    print(json.dumps({"failing": [r["dynamodb"]["Keys"]["id"]["S"] for r in event["Records"]]}))
    raise RuntimeError("this function fails on every batch")
