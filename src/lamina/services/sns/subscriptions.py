"""SNS's subscription operations: subscribe (HTTP/S endpoints confirm first: their confirmation
is queued with the subscription), confirm, unsubscribe, list, attributes."""

from __future__ import annotations

import uuid

from lamina import fastjson, timestamps
from lamina.services.sns import filters, messages, models
from lamina.services.sns.context import PAGE, Context, Params, after, page_token
from lamina.services.sns.errors import (
    invalid,
)
from lamina.services.sns.models import Subscription


class Subscriptions(Context):
    # -- subscriptions ----------------------------------------------------------------------

    def subscribe(self, params: Params) -> Params:
        topic = self._topic(params["TopicArn"])
        protocol = str(params["Protocol"]).lower()
        endpoint = models.check_endpoint(protocol, params.get("Endpoint"))
        attributes = {k: str(v) for k, v in (params.get("Attributes") or {}).items()}
        for key, value in attributes.items():
            self._check_subscription_attribute(key, value, attributes, subscribe=True)
        for existing in self.store.subscriptions(topic.arn, limit=1_000_000):
            if existing.protocol == protocol and existing.endpoint == endpoint:
                if attributes and any(
                    existing.attributes.get(k) != v for k, v in attributes.items()
                ):
                    raise invalid(
                        "Attributes Reason: Subscription already exists with different attributes"
                    )
                return {"SubscriptionArn": self._shown_arn(existing, params)}
        arn = f"{topic.arn}:{uuid.uuid4()}"
        confirmed = protocol not in models.CONFIRMED_BY_ENDPOINT
        token = None if confirmed else _confirmation_token()
        sub = Subscription(
            arn, topic.arn, protocol, endpoint, self.account_id, attributes, confirmed, token
        )
        confirmation = None
        if token is not None:
            now = self.clock.wall()
            confirmation = {
                "Type": messages.CONFIRMATION,
                "MessageId": str(uuid.uuid4()),
                "Token": token,
                "TopicArn": topic.arn,
                "Message": (
                    f"You have chosen to subscribe to the topic {topic.arn}.\n"
                    "To confirm the subscription, visit the SubscribeURL included in this "
                    "message."
                ),
                "SubscribeURL": self.confirm_url(topic.arn, token),
                "Timestamp": timestamps.iso_millis(now),
            }
        self.store.put_subscription(sub, confirmation, self.clock.wall())
        if confirmation is not None:
            self.wake()
        return {"SubscriptionArn": self._shown_arn(sub, params)}

    def _shown_arn(self, sub: Subscription, params: Params) -> str:
        if sub.confirmed or params.get("ReturnSubscriptionArn"):
            return sub.arn
        return PENDING

    def confirm_subscription(self, params: Params) -> Params:
        topic = self._topic(params["TopicArn"])
        token = str(params["Token"])
        for sub in self.store.subscriptions(topic.arn, limit=1_000_000):
            if sub.token == token:
                if not sub.confirmed:
                    sub.confirmed = True
                    self.store.put_subscription(sub)
                return {"SubscriptionArn": sub.arn}
        raise invalid("Token")

    def confirm(self, topic_arn: str, token: str) -> str:
        """ConfirmSubscription for the SubscribeURL route; the subscription's ARN."""
        return str(
            self.confirm_subscription({"TopicArn": topic_arn, "Token": token})["SubscriptionArn"]
        )

    def unsubscribe(self, params: Params) -> Params:
        arn = str(params["SubscriptionArn"])
        if arn.count(":") != 6 or not arn.startswith("arn:"):
            raise invalid("SubscriptionArn")
        self.store.delete_subscription(arn)
        return {}

    def list_subscriptions(self, params: Params) -> Params:
        subs = self.store.subscriptions(None, after(params.get("NextToken")), PAGE + 1)
        return self._subscription_page(subs)

    def list_subscriptions_by_topic(self, params: Params) -> Params:
        topic = self._topic(params["TopicArn"])
        subs = self.store.subscriptions(topic.arn, after(params.get("NextToken")), PAGE + 1)
        return self._subscription_page(subs)

    def _subscription_page(self, subs: list[Subscription]) -> Params:
        answer: Params = {
            "Subscriptions": [
                {
                    "SubscriptionArn": s.arn if s.confirmed else "PendingConfirmation",
                    "Owner": s.owner,
                    "Protocol": s.protocol,
                    "Endpoint": s.endpoint,
                    "TopicArn": s.topic_arn,
                }
                for s in subs[:PAGE]
            ]
        }
        if len(subs) > PAGE:
            answer["NextToken"] = page_token(subs[PAGE - 1].arn)
        return answer

    def get_subscription_attributes(self, params: Params) -> Params:
        sub = self._subscription(params["SubscriptionArn"])
        return {"Attributes": models.describe_subscription(sub, self.account_id)}

    def set_subscription_attributes(self, params: Params) -> Params:
        sub = self._subscription(params["SubscriptionArn"])
        name = str(params["AttributeName"])
        value = params.get("AttributeValue")
        value = "" if value is None else str(value)
        merged = {**sub.attributes, name: value}
        self._check_subscription_attribute(name, value, merged, subscribe=False)
        if value == "" and name != "FilterPolicy":
            sub.attributes.pop(name, None)
        elif name == "FilterPolicy" and value.strip() in ("", "{}"):
            sub.attributes.pop("FilterPolicy", None)
            sub.attributes.pop("FilterPolicyScope", None)
        else:
            sub.attributes[name] = value
        self.store.put_subscription(sub)
        return {}

    def _check_subscription_attribute(
        self, name: str, value: str, attributes: dict[str, str], *, subscribe: bool
    ) -> None:
        prefix = "Attributes Reason: " if subscribe else ""
        if name not in models.SUBSCRIPTION_ATTRIBUTES:
            raise invalid(f"{prefix}Unknown attribute {name}" if subscribe else "AttributeName")
        if name == "RawMessageDelivery" and value.lower() not in ("true", "false"):
            raise invalid(
                f"{prefix}RawMessageDelivery: Invalid value [{value}]. Must be true or false."
            )
        if name in ("FilterPolicy", "FilterPolicyScope"):
            filters.check(
                attributes.get("FilterPolicy", ""), attributes.get("FilterPolicyScope"), prefix
            )
        if name in ("RedrivePolicy", "DeliveryPolicy") and value:
            try:
                document = fastjson.loads(value)
            except ValueError:
                raise invalid(f"{prefix}{name}: failed to parse JSON.") from None
            if name == "RedrivePolicy":
                target = document.get("deadLetterTargetArn") if isinstance(document, dict) else None
                if not isinstance(target, str) or not target.startswith("arn:aws:sqs:"):
                    raise invalid(f"{prefix}RedrivePolicy: deadLetterTargetArn is invalid")


PENDING = "pending confirmation"


def _confirmation_token() -> str:
    return uuid.uuid4().hex + uuid.uuid4().hex
