"""Functions that publish metrics the way real apps do (aws-lambda-powertools' Metrics, which
writes Embedded Metric Format lines), and one that fails."""

import json

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

metrics = Metrics(namespace="Shop", service="orders")


@metrics.log_metrics
def orders(event, context):
    metrics.add_dimension(name="Channel", value="web")
    metrics.add_metric(name="OrdersPlaced", unit=MetricUnit.Count, value=2)
    metrics.add_metric(name="BasketSize", unit=MetricUnit.Count, value=5)
    return {"statusCode": 201, "body": "placed"}


def failing(event, context):
    raise RuntimeError("broken on purpose")


def alarmed(event, context):
    print("ALARM EVENT " + json.dumps(event))
