"""What ``app/services.py`` knows of a service it builds on demand, without importing it, agrees
with the service itself: the requests its ``OnDemand`` claims are exactly those the built
service's ``matches`` claims, and the database whose existence keeps it built at start is the
one the service opens."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
from pathlib import Path
from typing import Any

import pytest

from lamina import app
from lamina.app.services import DATABASES, ROUTING, build_services, built_services
from lamina.model.specs import Stack
from lamina.net.messages import Request
from lamina.services.ondemand import OnDemand
from lamina.settings import Settings

# The module whose DATABASE names each service's file.
MODULES = {
    "dynamodb": "lamina.services.dynamodb.service",
    "ssm": "lamina.services.ssm.service",
    "secretsmanager": "lamina.services.secretsmanager.service",
    "pipes": "lamina.services.pipes.service",
    "kinesis": "lamina.services.kinesis.store",
    "firehose": "lamina.services.firehose.store",
    "events": "lamina.services.events.service",
    "scheduler": "lamina.services.scheduler.service",
    "sns": "lamina.services.sns.service",
    "stepfunctions": "lamina.services.stepfunctions.service",
}
TARGETS = (
    "DynamoDB_20120810.GetItem",
    "DynamoDBStreams_20120810.GetRecords",
    "AmazonSSM.GetParameter",
    "secretsmanager.GetSecretValue",
    "Kinesis_20131202.PutRecord",
    "Firehose_20150804.PutRecord",
    "AWSEvents.PutEvents",
    "AWSStepFunctions.StartExecution",
    "AmazonSQS.SendMessage",
    "Logs_20140328.PutLogEvents",
)
SIGNED = (
    "dynamodb",
    "ssm",
    "secretsmanager",
    "cloudformation",
    "sts",
    "pipes",
    "kinesis",
    "firehose",
    "events",
    "scheduler",
    "sns",
    "states",
    "sqs",
    "s3",
)


def _requests() -> list[Request]:
    made = []
    for signed in SIGNED:
        scope = f"AKID/20260101/us-east-1/{signed}/aws4_request"
        auth = ("Authorization", f"AWS4-HMAC-SHA256 Credential={scope}, Signature=0")
        made.append(Request("POST", "/", "", [auth]))
        for target in TARGETS:
            made.append(Request("POST", "/", "", [auth, ("X-Amz-Target", target)]))
    made.append(Request("GET", "/", "", []))
    return made


def test_database_names_are_the_services_own() -> None:
    """Each file name ``app/services.py`` checks is the service's ``DATABASE``."""
    for name, module in MODULES.items():
        assert DATABASES[name] == importlib.import_module(module).DATABASE, name


def test_routing_claims_what_the_built_service_claims(tmp_path: Path) -> None:
    """For every service built on demand and a spread of signed requests (each service's
    SigV4 name, with and without each service's target), ``Routing.matches`` before the build
    says what the built service's ``matches`` says."""
    settings = Settings(state_dir=tmp_path)
    engine = app.build_engine(settings, None)
    stack = Stack(name="s", template_path=tmp_path / "t.yaml", region="us-east-1", account_id="1")

    async def scenario() -> list[tuple[str, str, bool, bool]]:
        services = build_services(
            stack, settings, engine, app.build_log_store(settings), on_demand=True
        )
        deferred = [s for s in services if isinstance(s, OnDemand)]
        assert {d.name for d in deferred} == set(ROUTING)
        requests = _requests()
        before = {d.name: [d.matches(r) for r in requests] for d in deferred}
        wrong = []
        for d in deferred:
            built = await d.ready()
            for request, expected in zip(requests, before[d.name], strict=True):
                if built.matches(request) != expected:
                    wrong.append((d.name, str(request.headers), expected, not expected))
        assert len(built_services(services)) == len(services)
        for service in services:
            await service.close()
        return wrong

    assert asyncio.run(scenario()) == []


@pytest.mark.parametrize("name", ["dynamodb", "sns", "events"])
def test_state_from_an_earlier_run_builds_at_start(tmp_path: Path, name: str) -> None:
    """A service whose database exists (made by an earlier run) is built at start, so what it
    runs by itself (deliveries in flight, schedules) runs without a first call."""
    (tmp_path / DATABASES[name]).write_bytes(b"")
    settings = Settings(state_dir=tmp_path)
    stack = Stack(name="s", template_path=tmp_path / "t.yaml", region="us-east-1", account_id="1")

    async def scenario() -> list[str]:
        services = build_services(
            stack,
            settings,
            app.build_engine(settings, None),
            app.build_log_store(settings),
            on_demand=True,
        )
        deferred = [s.name for s in services if isinstance(s, OnDemand)]
        for service in services:
            await service.close()
        return deferred

    deferred = asyncio.run(scenario())
    assert name not in deferred and "stepfunctions" in deferred


def test_a_reload_that_declares_a_resource_builds_the_service(tmp_path: Path) -> None:
    """A deployment whose stack now declares an SSM parameter (a hot reload adding one) builds
    SSM at once, as a start with that template would, and the parameter is there; a stack
    declaring nothing for DynamoDB leaves it unbuilt."""
    from lamina.model.configs import ParameterSpec

    settings = Settings(state_dir=tmp_path)
    empty = Stack(name="s", template_path=tmp_path / "t.yaml", region="us-east-1", account_id="1")
    param = ParameterSpec(logical_id="P", name="/app/p", type="String", value="v")
    declaring = dataclasses.replace(empty, ssm_parameters=(param,))

    async def scenario() -> tuple[bool, bool, bool]:
        services = build_services(
            empty,
            settings,
            app.build_engine(settings, None),
            app.build_log_store(settings),
            on_demand=True,
        )
        deferred = {s.name: s for s in services if isinstance(s, OnDemand)}
        before = deferred["ssm"].built is not None
        for service in services:
            await service.deploy(declaring)
        ssm: Any = deferred["ssm"].built
        after = (
            ssm is not None
            and ssm.api.get_parameter({"Name": "/app/p"})["Parameter"]["Value"] == "v"
        )
        dynamodb = deferred["dynamodb"].built is not None
        for service in services:
            await service.close()
        return before, after, dynamodb

    assert asyncio.run(scenario()) == (False, True, False)
    assert (tmp_path / DATABASES["ssm"]).exists()
