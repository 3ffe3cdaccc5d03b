import json
import os

seen = set()


def work(event, context):
    failures = []
    for record in event["Records"]:
        body = record["body"]
        trace = os.environ.get("_X_AMZN_TRACE_ID")
        print(json.dumps({"job": body, "record": record, "trace": trace}))
        if body == "poison":
            raise RuntimeError("a message this function cannot take")
        if body.startswith("flaky") and body not in seen:
            seen.add(body)
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
