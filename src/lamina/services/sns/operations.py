"""SNS's operations, one handler each (``ModelService`` contract: params in, result out, or an
``AwsError``), gathered from the modules that own them: ``topics``, ``subscriptions`` and
``publisher``. Handlers run on worker threads; every change is one store transaction, and a
Publish is committed to the outbox before it answers, then the courier is woken.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lamina.clock import Clock
from lamina.services.sns.context import Params
from lamina.services.sns.publisher import Publisher
from lamina.services.sns.store import Store
from lamina.services.sns.subscriptions import Subscriptions
from lamina.services.sns.topics import Topics


class Sns:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        region: str,
        account_id: str,
        wake: Callable[[], None],
        confirm_url: Callable[[str, str], str],
    ) -> None:
        self.store = store
        shared = (store, clock, region, account_id, wake, confirm_url)
        self.topics = Topics(*shared)
        self.subscriptions = Subscriptions(*shared)
        self.publisher = Publisher(*shared)

    def operations(self) -> dict[str, Callable[[Params], Any]]:
        topics, subscriptions, publisher = self.topics, self.subscriptions, self.publisher
        return {
            "CreateTopic": topics.create_topic,
            "DeleteTopic": topics.delete_topic,
            "ListTopics": topics.list_topics,
            "GetTopicAttributes": topics.get_topic_attributes,
            "SetTopicAttributes": topics.set_topic_attributes,
            "AddPermission": topics.add_permission,
            "RemovePermission": topics.remove_permission,
            "TagResource": topics.tag_resource,
            "UntagResource": topics.untag_resource,
            "ListTagsForResource": topics.list_tags_for_resource,
            "Subscribe": subscriptions.subscribe,
            "ConfirmSubscription": subscriptions.confirm_subscription,
            "Unsubscribe": subscriptions.unsubscribe,
            "ListSubscriptions": subscriptions.list_subscriptions,
            "ListSubscriptionsByTopic": subscriptions.list_subscriptions_by_topic,
            "GetSubscriptionAttributes": subscriptions.get_subscription_attributes,
            "SetSubscriptionAttributes": subscriptions.set_subscription_attributes,
            "Publish": publisher.publish,
            "PublishBatch": publisher.publish_batch,
        }
