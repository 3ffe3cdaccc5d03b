"""Step Functions served in-process (``Served``) beside SQS, SNS, DynamoDB, EventBridge and S3, whose
operations its tasks call in process and whose default bus receives its status changes; time
runs 50 times faster (``ScaledClock``) so Retry pauses and Waits stay short."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lamina.clock import ScaledClock
from lamina.delivery import Deliveries
from lamina.model.specs import Stack
from lamina.services.dynamodb.service import DynamoDBService
from lamina.services.events.service import EventsService
from lamina.services.s3.service import S3Service
from lamina.services.sns.service import SnsService
from lamina.services.sqs.service import SqsService
from lamina.services.stepfunctions.service import StepFunctionsService
from lamina.services.stepfunctions.tasks import Tasks
from tests.compat.protocols.served import Served

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sfn"
RATE = 50.0


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    state = tmp_path_factory.mktemp("sfn")
    deliveries = Deliveries()
    sqs = SqsService(state, REGION, ACCOUNT, "http://localhost:4566")
    dynamodb = DynamoDBService(state, REGION, ACCOUNT)
    events = EventsService(state, deliveries, REGION, ACCOUNT)
    sns = SnsService(state, deliveries, REGION, ACCOUNT)
    s3 = S3Service(state, REGION, deliveries, ACCOUNT)
    tasks = Tasks(None, REGION, ACCOUNT)
    tasks.serve_services([sqs, dynamodb, events, sns, s3])
    states = StepFunctionsService(
        state, deliveries, tasks, REGION, ACCOUNT, clock=ScaledClock(RATE), rate=RATE
    )
    tasks.serve("stepfunctions", states.handlers)
    deliveries.serve("sqs", sqs)
    deliveries.serve("events", events)
    deliveries.serve("sns", sns)
    deliveries.serve("states", states)
    endpoint = Served([sqs, dynamodb, events, sns, s3, states])
    stack = Stack(name="t", template_path=Path("template.yaml"), region=REGION, account_id=ACCOUNT)
    for service in (sqs, events, sns, states):
        endpoint.run(service.deploy(stack))
    try:
        yield endpoint
    finally:
        endpoint.close()


@pytest.fixture(scope="module")
def sfn(served: Served) -> Any:
    return served.client("stepfunctions", inject_host_prefix=False)


def machine(sfn: Any, name: str, definition: dict[str, Any], kind: str = "STANDARD") -> str:
    return str(
        sfn.create_state_machine(
            name=name, definition=json.dumps(definition), roleArn=ROLE, type=kind
        )["stateMachineArn"]
    )


def finished(sfn: Any, arn: str, timeout: float = 20.0) -> dict[str, Any]:
    """The execution once it has ended (polled with a deadline)."""
    deadline = time.monotonic() + timeout
    while True:
        found = dict(sfn.describe_execution(executionArn=arn))
        if found["status"] != "RUNNING" or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def history(sfn: Any, arn: str) -> list[dict[str, Any]]:
    return list(sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"])


def run(sfn: Any, arn: str, given: Any = None, **kwargs: Any) -> dict[str, Any]:
    started = sfn.start_execution(stateMachineArn=arn, input=json.dumps(given or {}), **kwargs)
    return finished(sfn, started["executionArn"])
