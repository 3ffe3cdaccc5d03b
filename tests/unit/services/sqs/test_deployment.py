"""Template queues deployed again and again: created once, updated by what the template changed,
never losing what the API changed and the template left alone, nor their messages."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

from lamina.model.queues import QueuePolicySpec, QueueSpec
from lamina.services.sqs import deployment
from lamina.services.sqs.broker import Broker, Place
from lamina.services.sqs.outgoing import Outgoing
from lamina.services.sqs.store import Store
from tests.unit.services.sqs.test_broker import FakeClock

PLACE = Place("us-east-1", "123456789012", "http://localhost:4566")


def _spec(name: str, tags: dict[str, str] | None = None, **attributes: str) -> QueueSpec:
    return QueueSpec(name, name, MappingProxyType(attributes), MappingProxyType(tags or {}))


def test_redeploy_applies_template_changes_and_keeps_api_changes(tmp_path: Path) -> None:
    """A second deployment with a changed VisibilityTimeout changes it; a DelaySeconds set
    through the API in between survives; a tag removed from the template goes; the queue's
    messages stay."""
    broker = Broker(Store(tmp_path / "sqs.sqlite3"), PLACE, FakeClock())
    assert (
        deployment.deploy(broker, [_spec("jobs", {"a": "1", "b": "2"}, VisibilityTimeout="10")])
        == []
    )
    queue = broker.queues["jobs"]
    broker.send(queue, Outgoing(body="keep me"))
    broker.set_attributes(queue, {"DelaySeconds": "7"})
    deployment.deploy(broker, [_spec("jobs", {"a": "1"}, VisibilityTimeout="20")])
    assert queue.attributes["VisibilityTimeout"] == "20"
    assert queue.attributes["DelaySeconds"] == "7"
    assert queue.tags == {"a": "1"}
    assert broker.counts(queue)[2] == 0 and broker.store.oldest("jobs", 10)[0].body == "keep me"


def test_dead_letter_queue_first_refusals_and_policies(tmp_path: Path) -> None:
    """A queue naming its dead-letter queue deploys after it whatever the template order; a
    value SQS refuses is a warning naming the queue, and the others deploy; a queue policy
    becomes the queue's Policy attribute."""
    broker = Broker(Store(tmp_path / "sqs.sqlite3"), PLACE, FakeClock())
    dlq_arn = PLACE.arn("dlq")
    redrive = f'{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":3}}'
    warnings = deployment.deploy(
        broker,
        [_spec("work", RedrivePolicy=redrive), _spec("bad", VisibilityTimeout="-1"), _spec("dlq")],
        [QueuePolicySpec("P", (PLACE.url("work"),), '{"Statement":[]}')],
    )
    assert set(broker.queues) == {"work", "dlq"}
    assert len(warnings) == 1 and "bad" in warnings[0] and "InvalidAttributeValue" in warnings[0]
    assert broker.queues["work"].attributes["Policy"] == '{"Statement":[]}'
