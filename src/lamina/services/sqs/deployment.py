"""A template's queues brought to the broker: created when missing, updated when they changed.

``deploy(broker, queues, policies)`` runs at every (re)deploy of a template. A missing queue is
created as CreateQueue would (its messages then live in the store like any queue's, and survive
restarts). An existing one gets the attributes and tags the template changed since its last
deployment (``Queue.deployed`` records what the template said), as CloudFormation updates a
queue from the old template to the new one: an attribute set through the API survives a
reload that leaves it alone. A queue is never deleted: its messages are the user's data.
Dead-letter queues are created before the queues that name them. A change SQS refuses (a bad
value, a FIFO queue turned standard) is returned as a warning; the other queues deploy.
Each ``AWS::SQS::QueuePolicy`` becomes the ``Policy`` attribute of the queues it lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lamina.errors import AwsError
from lamina.model.queues import QueuePolicySpec, QueueSpec
from lamina.services.sqs import urls
from lamina.services.sqs.broker import Broker


def deploy(
    broker: Broker, queues: Iterable[QueueSpec], policies: Iterable[QueuePolicySpec] = ()
) -> list[str]:
    """Create or update the queues; returns warnings."""
    warnings: list[str] = []
    # A queue whose dead-letter queue is also declared comes after it.
    ordered = sorted(queues, key=lambda q: "RedrivePolicy" in q.attributes)
    for spec in ordered:
        label = f"queue {spec.logical_id} ({spec.name})"
        try:
            _deploy(broker, spec)
        except AwsError as exc:
            warnings.append(f"{label} not deployed: {exc.code}: {exc.message}")
    for policy in policies:
        for url in policy.queue_urls:
            named = urls.parse(url)
            queue = broker.queues.get(named[1]) if named is not None else None
            if queue is None:
                warnings.append(f"queue policy {policy.logical_id}: no queue {url}")
            elif queue.attributes.get("Policy") != policy.document:
                broker.set_attributes(queue, {"Policy": policy.document})
    return warnings


def _deploy(broker: Broker, spec: QueueSpec) -> None:
    declared: dict[str, Any] = {"attributes": dict(spec.attributes), "tags": dict(spec.tags)}
    queue = broker.queues.get(spec.name)
    if queue is None:
        queue = broker.create_queue(spec.name, spec.attributes, spec.tags)
    else:
        before = queue.deployed or {"attributes": {}, "tags": {}}
        changed = {
            k: v
            for k, v in spec.attributes.items()
            if k != "FifoQueue" and before["attributes"].get(k) != v
        }
        if changed:
            broker.set_attributes(queue, changed)
        removed = set(before["tags"]) - set(spec.tags)
        tags = {k: v for k, v in queue.tags.items() if k not in removed}
        tags.update({k: v for k, v in spec.tags.items() if before["tags"].get(k) != v})
        queue.tags = tags
    queue.deployed = declared
    broker.save(queue)
