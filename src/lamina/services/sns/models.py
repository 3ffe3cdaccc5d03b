"""Topics and subscriptions as SNS describes them: names, ARNs, attributes and their rules.

Plain data and checks, no I/O. A topic's ``attributes`` hold what its creator set (the settable
names below); ``describe_topic`` adds what SNS computes (``TopicArn``, ``Owner``, counts, the
default ``Policy`` and ``EffectiveDeliveryPolicy``). A subscription keeps its settable
attributes the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lamina import fastjson
from lamina.model import arns
from lamina.services.sns.errors import invalid

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_FIFO_NAME = re.compile(r"^[A-Za-z0-9_-]{1,251}\.fifo$")

TOPIC_ATTRIBUTES = frozenset(
    {
        "DisplayName",
        "Policy",
        "DeliveryPolicy",
        "KmsMasterKeyId",
        "FifoTopic",
        "ContentBasedDeduplication",
        "TracingConfig",
        "SignatureVersion",
        "ArchivePolicy",
        "FifoThroughputScope",
        "DataProtectionPolicy",
    }
    | {
        f"{p}{s}"
        for p in ("HTTP", "Lambda", "SQS", "Firehose", "Application")
        for s in ("SuccessFeedbackRoleArn", "SuccessFeedbackSampleRate", "FailureFeedbackRoleArn")
    }
)
# Fixed at creation: SetTopicAttributes refuses them.
CREATE_ONLY = frozenset({"FifoTopic"})

SUBSCRIPTION_ATTRIBUTES = frozenset(
    {
        "DeliveryPolicy",
        "FilterPolicy",
        "FilterPolicyScope",
        "RawMessageDelivery",
        "RedrivePolicy",
        "SubscriptionRoleArn",
        "ReplayPolicy",
    }
)
PROTOCOLS = frozenset(
    {"http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose"}
)
# Protocols whose endpoint must confirm before it receives notifications.
CONFIRMED_BY_ENDPOINT = frozenset({"http", "https"})

DEFAULT_HTTP_POLICY: dict[str, Any] = {
    "http": {
        "defaultHealthyRetryPolicy": {
            "minDelayTarget": 20,
            "maxDelayTarget": 20,
            "numRetries": 3,
            "numMaxDelayRetries": 0,
            "numNoDelayRetries": 0,
            "numMinDelayRetries": 0,
            "backoffFunction": "linear",
        },
        "disableSubscriptionOverrides": False,
        "defaultRequestPolicy": {"headerContentType": "text/plain; charset=UTF-8"},
    }
}


@dataclass(slots=True)
class Topic:
    arn: str
    name: str
    attributes: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def fifo(self) -> bool:
        return self.attributes.get("FifoTopic", "false").lower() == "true"

    @property
    def content_based_deduplication(self) -> bool:
        return self.attributes.get("ContentBasedDeduplication", "false").lower() == "true"


@dataclass(slots=True)
class Subscription:
    arn: str
    topic_arn: str
    protocol: str
    endpoint: str
    owner: str
    attributes: dict[str, str] = field(default_factory=dict)
    confirmed: bool = True
    token: str | None = None

    @property
    def raw(self) -> bool:
        return self.attributes.get("RawMessageDelivery", "false").lower() == "true"

    @property
    def dead_letter_arn(self) -> str | None:
        policy = self.attributes.get("RedrivePolicy")
        if not policy:
            return None
        try:
            target = fastjson.loads(policy).get("deadLetterTargetArn")
        except (ValueError, AttributeError):
            return None
        return target if isinstance(target, str) else None


def topic_arn(region: str, account: str, name: str) -> str:
    return arns.arn("sns", region, account, name)


def check_topic_name(name: str, fifo: bool) -> None:
    if fifo:
        if not _FIFO_NAME.match(name):
            raise invalid(
                "Fifo Topic names must end with .fifo and must be made up of only uppercase "
                "and lowercase ASCII letters, numbers, underscores, and hyphens, and must be "
                "between 1 and 256 characters long."
            )
    elif not _NAME.match(name):
        raise invalid("Topic Name")


def parse_topic_arn(text: str, region: str, account: str) -> str:
    """``text`` when it is the ARN of a topic of this account and region; ``InvalidParameter``
    otherwise, worded as SNS words it."""
    parsed = arns.parse(text)
    if parsed is None or parsed.service != "sns" or not parsed.resource or ":" in parsed.resource:
        raise invalid("TopicArn")
    return text


def default_policy(arn: str, account: str) -> str:
    actions = [
        "SNS:GetTopicAttributes",
        "SNS:SetTopicAttributes",
        "SNS:AddPermission",
        "SNS:RemovePermission",
        "SNS:DeleteTopic",
        "SNS:Subscribe",
        "SNS:ListSubscriptionsByTopic",
        "SNS:Publish",
    ]
    return fastjson.dumps_text(
        {
            "Version": "2008-10-17",
            "Id": "__default_policy_ID",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Sid": "__default_statement_ID",
                    "Principal": {"AWS": "*"},
                    "Action": actions,
                    "Resource": arn,
                    "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
                }
            ],
        }
    )


def describe_topic(topic: Topic, account: str, counts: Mapping[str, int]) -> dict[str, str]:
    described = {
        "TopicArn": topic.arn,
        "Owner": account,
        "Policy": default_policy(topic.arn, account),
        "DisplayName": "",
        "SubscriptionsConfirmed": str(counts.get("confirmed", 0)),
        "SubscriptionsPending": str(counts.get("pending", 0)),
        "SubscriptionsDeleted": "0",
        "EffectiveDeliveryPolicy": fastjson.dumps_text(DEFAULT_HTTP_POLICY),
    }
    if topic.fifo:
        described["FifoTopic"] = "true"
        described["ContentBasedDeduplication"] = "false"
    described.update(topic.attributes)
    return described


def describe_subscription(subscription: Subscription, account: str) -> dict[str, str]:
    described = {
        "SubscriptionArn": subscription.arn,
        "TopicArn": subscription.topic_arn,
        "Protocol": subscription.protocol,
        "Endpoint": subscription.endpoint,
        "Owner": subscription.owner,
        "ConfirmationWasAuthenticated": "true",
        "PendingConfirmation": "false" if subscription.confirmed else "true",
        "RawMessageDelivery": "false",
    }
    if subscription.protocol in CONFIRMED_BY_ENDPOINT:
        described["EffectiveDeliveryPolicy"] = fastjson.dumps_text(DEFAULT_HTTP_POLICY["http"])
    described.update(subscription.attributes)
    if "FilterPolicy" in subscription.attributes:
        described.setdefault("FilterPolicyScope", "MessageAttributes")
    return described


_ARN_ENDPOINTS = {"sqs": "SQS", "lambda": "Lambda", "firehose": "Firehose"}


def check_endpoint(protocol: str, endpoint: str | None) -> str:
    """The endpoint when it suits the protocol, else SNS's ``InvalidParameter``."""
    if protocol not in PROTOCOLS:
        raise invalid(f"Amazon SNS does not support this protocol string: {protocol}")
    if not endpoint:
        raise invalid("Endpoint")
    if protocol in ("http", "https") and not endpoint.lower().startswith(f"{protocol}://"):
        raise invalid("Endpoint must match the specified protocol")
    if protocol in _ARN_ENDPOINTS and arns.service_of(endpoint) != protocol:
        raise invalid(f"{_ARN_ENDPOINTS[protocol]} endpoint ARN")
    if protocol in ("email", "email-json") and "@" not in endpoint:
        raise invalid("Email address")
    return endpoint
