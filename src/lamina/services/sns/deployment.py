"""A template's topics and subscriptions onto the SNS service, at every deploy.

A topic the template declares is created, or its attributes and tags updated to the
template's (attributes a client set that the template does not name are kept). A subscription
the template declares is created when its topic has none with the same protocol and endpoint,
else its attributes are set to the template's. Nothing is ever deleted: a topic or
subscription removed from the template stays until a client deletes it, as the data in a
table does. A subscription whose topic neither the template nor a client created is skipped
with a warning.
"""

from __future__ import annotations

import logging

from lamina.errors import AwsError
from lamina.model.specs import Stack
from lamina.services.sns.models import Topic
from lamina.services.sns.operations import Sns

log = logging.getLogger("lamina.sns")


def deploy(sns: Sns, stack: Stack) -> None:
    store = sns.store
    for spec in stack.topics.values():
        existing = store.topic(spec.arn)
        attributes = dict(existing.attributes) if existing else {}
        attributes.update(spec.attributes)
        if spec.policy is not None:
            attributes["Policy"] = spec.policy
        tags = {**(existing.tags if existing else {}), **spec.tags}
        store.put_topic(Topic(spec.arn, spec.name, attributes, tags))
    for sub in stack.subscriptions:
        if store.topic(sub.topic_arn) is None:
            log.warning(
                "SNS subscription %s: topic %s does not exist; skipped",
                sub.logical_id or sub.endpoint,
                sub.topic_arn,
            )
            continue
        found = next(
            (
                s
                for s in store.subscriptions(sub.topic_arn, limit=1_000_000)
                if s.protocol == sub.protocol and s.endpoint == sub.endpoint
            ),
            None,
        )
        if found is None:
            try:
                sns.subscriptions.subscribe(
                    {
                        "TopicArn": sub.topic_arn,
                        "Protocol": sub.protocol,
                        "Endpoint": sub.endpoint,
                        "Attributes": dict(sub.attributes),
                    }
                )
            except AwsError as exc:
                log.warning(
                    "SNS subscription %s not created: %s", sub.logical_id or sub.endpoint, exc
                )
        else:
            found.attributes.update(sub.attributes)
            store.put_subscription(found)
