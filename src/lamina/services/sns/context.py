"""What every SNS operation shares: the store, the clock, where Lamina runs, the courier's
wake-up, and the lookups that turn a client's ARN into a topic or subscription (or SNS's
error for it)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from lamina.clock import Clock
from lamina.services.sns import models
from lamina.services.sns.errors import (
    NotFound,
    invalid,
)
from lamina.services.sns.models import Subscription, Topic
from lamina.services.sns.store import Store

Params = dict[str, Any]
PAGE = 100


class Context:
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
        self.clock = clock
        self.region = region
        self.account_id = account_id
        self.wake = wake
        self.confirm_url = confirm_url

    # -- lookups ----------------------------------------------------------------------------

    def _topic_arn(self, text: Any) -> str:
        return models.parse_topic_arn(str(text), self.region, self.account_id)

    def _topic(self, text: Any) -> Topic:
        topic = self.store.topic(self._topic_arn(text))
        if topic is None:
            raise NotFound("Topic does not exist")
        return topic

    def _subscription(self, text: Any) -> Subscription:
        arn = str(text)
        if arn.count(":") != 6 or not arn.startswith("arn:"):
            raise invalid("SubscriptionArn")
        sub = self.store.subscription(arn)
        if sub is None:
            raise NotFound("Subscription does not exist")
        return sub


def page_token(arn: str) -> str:
    return base64.urlsafe_b64encode(arn.encode()).decode()


def after(token: Any) -> str:
    if not token:
        return ""
    try:
        return base64.urlsafe_b64decode(str(token).encode()).decode()
    except ValueError:
        raise invalid("NextToken") from None
