"""SNS topics and subscriptions a template declares (``AWS::SNS::Topic`` with its inline
``Subscription`` list, ``AWS::SNS::Subscription``, SAM's ``SNS`` function events once expanded,
``AWS::SNS::TopicPolicy``), with every intrinsic function resolved."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class SubscriptionSpec:
    topic_arn: str
    protocol: str
    endpoint: str
    # Subscription attributes as SNS takes them (JSON documents as text): FilterPolicy,
    # FilterPolicyScope, RawMessageDelivery, RedrivePolicy, DeliveryPolicy.
    attributes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # None for a topic's inline Subscription entries.
    logical_id: str | None = None


@dataclass(frozen=True, slots=True)
class TopicSpec:
    logical_id: str
    name: str
    arn: str
    # Topic attributes as SNS takes them: FifoTopic, ContentBasedDeduplication, DisplayName...
    attributes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # Recorded from AWS::SNS::TopicPolicy: Lamina enforces no policies.
    policy: str | None = None
