"""SNS's topic operations: create, delete, list, attributes, tags, and permissions (recorded
in the topic's ``Policy``, not enforced)."""

from __future__ import annotations

from typing import Any

from lamina import fastjson
from lamina.services.sns import models
from lamina.services.sns.context import PAGE, Context, Params, after, page_token
from lamina.services.sns.errors import (
    ResourceNotFound,
    TagLimitExceeded,
    invalid,
)
from lamina.services.sns.models import Topic


class Topics(Context):
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
        topics = self.store.topics(after(params.get("NextToken")), PAGE + 1)
        answer: Params = {"Topics": [{"TopicArn": t.arn} for t in topics[:PAGE]]}
        if len(topics) > PAGE:
            answer["NextToken"] = page_token(topics[PAGE - 1].arn)
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


MAX_TAGS = 50


def _tags(raw: Any) -> dict[str, str]:
    tags: dict[str, str] = {}
    for entry in raw or []:
        key = str(entry.get("Key", ""))
        if not key:
            raise invalid("Tags Reason: Tag keys must be between 1 and 128 characters in length.")
        tags[key] = str(entry.get("Value", ""))
    return tags
