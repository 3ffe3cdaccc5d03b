"""SNS's operations, one handler each (``ModelService`` contract: params in, result out, or an
``AwsError``). Handlers run on worker threads; every change is one store transaction, and a
Publish is committed to the outbox (once per subscription whose filter accepts it) before it
answers, then the courier is woken.
"""

from __future__ import annotations

import base64
import logging
import uuid
from collections.abc import Callable
from typing import Any

from lamina import fastjson, timestamps
from lamina.clock import Clock
from lamina.services.sns import filters, messages, models, publishing
from lamina.services.sns.errors import (
    BatchEntryIdsNotDistinct,
    BatchRequestTooLong,
    EmptyBatchRequest,
    InvalidBatchEntryId,
    InvalidParameter,
    InvalidParameterValue,
    NotFound,
    ResourceNotFound,
    TagLimitExceeded,
    TooManyEntriesInBatchRequest,
    invalid,
)
from lamina.services.sns.models import Subscription, Topic
from lamina.services.sns.store import Store

log = logging.getLogger("lamina.sns")
Params = dict[str, Any]
PAGE = 100
PENDING = "pending confirmation"
MAX_TAGS = 50
MAX_BATCH = 10


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
        self.clock = clock
        self.region = region
        self.account_id = account_id
        self.wake = wake
        self.confirm_url = confirm_url

    def operations(self) -> dict[str, Callable[[Params], Any]]:
        return {
            "CreateTopic": self.create_topic,
            "DeleteTopic": self.delete_topic,
            "ListTopics": self.list_topics,
            "GetTopicAttributes": self.get_topic_attributes,
            "SetTopicAttributes": self.set_topic_attributes,
            "Subscribe": self.subscribe,
            "ConfirmSubscription": self.confirm_subscription,
            "Unsubscribe": self.unsubscribe,
            "ListSubscriptions": self.list_subscriptions,
            "ListSubscriptionsByTopic": self.list_subscriptions_by_topic,
            "GetSubscriptionAttributes": self.get_subscription_attributes,
            "SetSubscriptionAttributes": self.set_subscription_attributes,
            "Publish": self.publish,
            "PublishBatch": self.publish_batch,
            "AddPermission": self.add_permission,
            "RemovePermission": self.remove_permission,
            "TagResource": self.tag_resource,
            "UntagResource": self.untag_resource,
            "ListTagsForResource": self.list_tags_for_resource,
        }

    # -- topics -----------------------------------------------------------------------------

    def create_topic(self, params: Params) -> Params:
        name = str(params["Name"])
        attributes = {k: str(v) for k, v in (params.get("Attributes") or {}).items()}
        for key in attributes:
            if key not in models.TOPIC_ATTRIBUTES:
                raise invalid(f"Attributes Reason: Unknown attribute {key}")
        fifo = attributes.get("FifoTopic", "false").lower() == "true"
        models.check_topic_name(name, fifo or name.endswith(".fifo"))
        if name.endswith(".fifo") and not fifo:
            raise invalid(
                "Fifo Topic names must end with .fifo and must be made up of only uppercase "
                "and lowercase ASCII letters, numbers, underscores, and hyphens, and must be "
                "between 1 and 256 characters long."
            )
        self._check_topic_attributes(attributes)
        tags = _tags(params.get("Tags"))
        arn = models.topic_arn(self.region, self.account_id, name)
        existing = self.store.topic(arn)
        if existing is not None:
            if attributes and any(existing.attributes.get(k) != v for k, v in attributes.items()):
                raise invalid("Attributes Reason: Topic already exists with different attributes")
            if tags and any(existing.tags.get(k) != v for k, v in tags.items()):
                raise invalid("Tags Reason: Topic already exists with different tags")
            return {"TopicArn": arn}
        self.store.put_topic(Topic(arn, name, attributes, tags))
        return {"TopicArn": arn}

    def delete_topic(self, params: Params) -> Params:
        # Deleting a topic that does not exist is not an error (SNS's guide says so).
        self.store.delete_topic(self._topic_arn(params["TopicArn"]))
        return {}

    def list_topics(self, params: Params) -> Params:
        topics = self.store.topics(_after(params.get("NextToken")), PAGE + 1)
        answer: Params = {"Topics": [{"TopicArn": t.arn} for t in topics[:PAGE]]}
        if len(topics) > PAGE:
            answer["NextToken"] = _token(topics[PAGE - 1].arn)
        return answer

    def get_topic_attributes(self, params: Params) -> Params:
        topic = self._topic(params["TopicArn"])
        subs = self.store.subscriptions(topic.arn, limit=1_000_000)
        counts = {
            "confirmed": sum(1 for s in subs if s.confirmed),
            "pending": sum(1 for s in subs if not s.confirmed),
        }
        return {"Attributes": models.describe_topic(topic, self.account_id, counts)}

    def set_topic_attributes(self, params: Params) -> Params:
        topic = self._topic(params["TopicArn"])
        name = str(params["AttributeName"])
        if name not in models.TOPIC_ATTRIBUTES or name in models.CREATE_ONLY:
            raise invalid("AttributeName")
        value = params.get("AttributeValue")
        self._check_topic_attributes({name: value or ""})
        if value is None or value == "":
            topic.attributes.pop(name, None)
        else:
            topic.attributes[name] = str(value)
        self.store.put_topic(topic)
        return {}

    def _check_topic_attributes(self, attributes: dict[str, str]) -> None:
        for name in ("Policy", "DeliveryPolicy", "DataProtectionPolicy", "ArchivePolicy"):
            value = attributes.get(name)
            if value:
                try:
                    fastjson.loads(value)
                except ValueError:
                    raise invalid(f"Attributes Reason: {name}: failed to parse JSON.") from None
        for name in ("FifoTopic", "ContentBasedDeduplication"):
            value = attributes.get(name)
            if value is not None and value.lower() not in ("true", "false"):
                raise invalid(f"Attributes Reason: {name}: Invalid value [{value}]")

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
        subs = self.store.subscriptions(None, _after(params.get("NextToken")), PAGE + 1)
        return self._subscription_page(subs)

    def list_subscriptions_by_topic(self, params: Params) -> Params:
        topic = self._topic(params["TopicArn"])
        subs = self.store.subscriptions(topic.arn, _after(params.get("NextToken")), PAGE + 1)
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
            answer["NextToken"] = _token(subs[PAGE - 1].arn)
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

    # -- publishing -------------------------------------------------------------------------

    def publish(self, params: Params) -> Params:
        if params.get("PhoneNumber") and not params.get("TopicArn"):
            message = publishing.check_message(params.get("Message"), None)
            self.record_sms(str(params["PhoneNumber"]), message)
            return {"MessageId": str(uuid.uuid4())}
        target = params.get("TopicArn") or params.get("TargetArn")
        if not target:
            raise invalid("TopicArn or TargetArn Reason: no value for required parameter")
        topic = self._topic(target)
        message_id, sequence = self._publish(topic, params)
        answer: Params = {"MessageId": message_id}
        if sequence is not None:
            answer["SequenceNumber"] = sequence
        return answer

    def publish_batch(self, params: Params) -> Params:
        topic = self._topic(params["TopicArn"])
        entries = list(params.get("PublishBatchRequestEntries") or [])
        if not entries:
            raise EmptyBatchRequest("The batch request doesn't contain any entries")
        if len(entries) > MAX_BATCH:
            raise TooManyEntriesInBatchRequest(
                "The batch request contains more entries than permissible."
            )
        ids = [str(e.get("Id", "")) for e in entries]
        if len(set(ids)) != len(ids):
            raise BatchEntryIdsNotDistinct(
                "Two or more batch entries in the request have the same Id."
            )
        for entry_id in ids:
            if (
                not entry_id
                or len(entry_id) > 80
                or not all(c.isalnum() or c in "-_" for c in entry_id)
            ):
                raise InvalidBatchEntryId(
                    "The Id of a batch entry in a batch request doesn't abide by the specification."
                )
        total = 0
        for entry in entries:
            attributes = entry.get("MessageAttributes") or {}
            total += len(str(entry.get("Message") or "").encode())
            total += sum(
                len(name.encode())
                + len(str(value.get("StringValue") or "").encode())
                + len(bytes(value.get("BinaryValue") or b""))
                for name, value in attributes.items()
            )
        if total > publishing.MAX_MESSAGE_BYTES:
            raise BatchRequestTooLong(
                "The length of all the messages put together is more than the limit."
            )
        successful, failed = [], []
        for entry in entries:
            try:
                message_id, sequence = self._publish(topic, entry)
            except (InvalidParameter, InvalidParameterValue) as exc:
                failed.append(
                    {
                        "Id": entry["Id"],
                        "Code": exc.code,
                        "Message": exc.message,
                        "SenderFault": True,
                    }
                )
                continue
            done: Params = {"Id": entry["Id"], "MessageId": message_id}
            if sequence is not None:
                done["SequenceNumber"] = sequence
            successful.append(done)
        return {"Successful": successful, "Failed": failed}

    def _publish(self, topic: Topic, params: Params) -> tuple[str, str | None]:
        structure = params.get("MessageStructure")
        message = publishing.check_message(params.get("Message"), structure)
        publishing.check_subject(params.get("Subject"))
        attrs = publishing.attributes(params.get("MessageAttributes"))
        if publishing.size(message, attrs) > publishing.MAX_MESSAGE_BYTES:
            raise invalid("Message too long")
        group_id, dedup_id = publishing.fifo_ids(
            topic, message, params.get("MessageGroupId"), params.get("MessageDeduplicationId")
        )
        now = self.clock.wall()
        message_id = str(uuid.uuid4())
        base: Params = {
            "Type": messages.NOTIFICATION,
            "MessageId": message_id,
            "TopicArn": topic.arn,
            "Subject": params.get("Subject"),
            "Timestamp": timestamps.iso_millis(now),
            "MessageAttributes": messages.wire_attributes(attrs),
        }
        if topic.fifo:
            base["MessageGroupId"] = group_id
            base["MessageDeduplicationId"] = dedup_id
        deliveries = []
        for sub in self.store.subscriptions(topic.arn, limit=1_000_000):
            if not sub.confirmed:
                continue
            text = messages.choose_message(message, structure, sub.protocol)
            policy = sub.attributes.get("FilterPolicy")
            scope = sub.attributes.get("FilterPolicyScope")
            if not filters.accepts(policy, scope, text, attrs):
                continue
            deliveries.append((sub.arn, {**base, "Message": text}))
        published = self.store.publish(topic.arn, message_id, dedup_id, topic.fifo, deliveries, now)
        if deliveries and not published.duplicate:
            self.wake()
        return published.message_id, published.sequence

    def record_sms(self, phone: str, message: str) -> None:
        log.info("SNS sms to %s (recorded, not sent):\n%s", phone, message)

    # -- permissions (recorded in the topic's Policy, not enforced) -------------------------

    def add_permission(self, params: Params) -> Params:
        topic = self._topic(params["TopicArn"])
        label = str(params["Label"])
        policy = self._policy(topic)
        statements = policy.setdefault("Statement", [])
        if any(isinstance(s, dict) and s.get("Sid") == label for s in statements):
            raise invalid("Statement already exists")
        accounts = [str(a) for a in params.get("AWSAccountId") or []]
        actions = [f"SNS:{a}" for a in params.get("ActionName") or []]
        principals = [f"arn:aws:iam::{a}:root" for a in accounts]
        statements.append(
            {
                "Sid": label,
                "Effect": "Allow",
                "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
                "Action": actions[0] if len(actions) == 1 else actions,
                "Resource": topic.arn,
            }
        )
        topic.attributes["Policy"] = fastjson.dumps_text(policy)
        self.store.put_topic(topic)
        return {}

    def remove_permission(self, params: Params) -> Params:
        topic = self._topic(params["TopicArn"])
        label = str(params["Label"])
        policy = self._policy(topic)
        statements = policy.get("Statement") or []
        policy["Statement"] = [
            s for s in statements if not (isinstance(s, dict) and s.get("Sid") == label)
        ]
        topic.attributes["Policy"] = fastjson.dumps_text(policy)
        self.store.put_topic(topic)
        return {}

    def _policy(self, topic: Topic) -> dict[str, Any]:
        text = topic.attributes.get("Policy") or models.default_policy(topic.arn, self.account_id)
        try:
            policy = fastjson.loads(text)
        except ValueError:
            policy = None
        return policy if isinstance(policy, dict) else {"Version": "2008-10-17", "Statement": []}

    # -- tags -------------------------------------------------------------------------------

    def tag_resource(self, params: Params) -> Params:
        topic = self._tagged(params["ResourceArn"])
        tags = {**topic.tags, **_tags(params.get("Tags"))}
        if len(tags) > MAX_TAGS:
            raise TagLimitExceeded("Could not complete request: tag quota of per resource exceeded")
        topic.tags = tags
        self.store.put_topic(topic)
        return {}

    def untag_resource(self, params: Params) -> Params:
        topic = self._tagged(params["ResourceArn"])
        for key in params.get("TagKeys") or []:
            topic.tags.pop(str(key), None)
        self.store.put_topic(topic)
        return {}

    def list_tags_for_resource(self, params: Params) -> Params:
        topic = self._tagged(params["ResourceArn"])
        return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(topic.tags.items())]}

    def _tagged(self, arn: str) -> Topic:
        topic = self.store.topic(str(arn))
        if topic is None:
            raise ResourceNotFound("Resource does not exist")
        return topic

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


def _tags(raw: Any) -> dict[str, str]:
    tags: dict[str, str] = {}
    for entry in raw or []:
        key = str(entry.get("Key", ""))
        if not key:
            raise invalid("Tags Reason: Tag keys must be between 1 and 128 characters in length.")
        tags[key] = str(entry.get("Value", ""))
    return tags


def _confirmation_token() -> str:
    return uuid.uuid4().hex + uuid.uuid4().hex


def _token(arn: str) -> str:
    return base64.urlsafe_b64encode(arn.encode()).decode()


def _after(token: Any) -> str:
    if not token:
        return ""
    try:
        return base64.urlsafe_b64decode(str(token).encode()).decode()
    except ValueError:
        raise invalid("NextToken") from None
