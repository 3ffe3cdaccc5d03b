"""SNS topics and subscriptions of an expanded template -> ``TopicSpec``/``SubscriptionSpec``.

Works on CloudFormation after the SAM expansion: a function's ``SNS`` event has become an
``AWS::SNS::Subscription`` (protocol ``lambda``, its ``FilterPolicy`` and ``FilterPolicyScope``)
by then. A topic's ARN is what ``!Ref`` gives functions (``TopicName``, else
``{stack}-{LogicalId}-{suffix}``). JSON-valued properties (``FilterPolicy``, ``RedrivePolicy``,
``DeliveryPolicy``...) may be written as mappings or as text and become SNS's attribute text.
``AWS::SNS::TopicPolicy`` is recorded on its topics, not enforced. A property Lamina does not
act on is named in a warning; a malformed one raises ``TemplateError`` at its resource and field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from lamina import fastjson, patterns
from lamina.model.topics import SubscriptionSpec, TopicSpec
from lamina.template.resources import Resources

TOPIC_TYPE = "AWS::SNS::Topic"
SUBSCRIPTION_TYPE = "AWS::SNS::Subscription"
POLICY_TYPE = "AWS::SNS::TopicPolicy"

# Topic property -> the attribute SNS keeps it as.
_TOPIC_ATTRIBUTES = {
    "DisplayName": "DisplayName",
    "FifoTopic": "FifoTopic",
    "ContentBasedDeduplication": "ContentBasedDeduplication",
    "DeliveryPolicy": "DeliveryPolicy",
    "KmsMasterKeyId": "KmsMasterKeyId",
    "SignatureVersion": "SignatureVersion",
    "TracingConfig": "TracingConfig",
    "FifoThroughputScope": "FifoThroughputScope",
    "DataProtectionPolicy": "DataProtectionPolicy",
    "ArchivePolicy": "ArchivePolicy",
}
_TOPIC_HANDLED = {"TopicName", "Subscription", "Tags", *_TOPIC_ATTRIBUTES}
# Kept as attributes but without effect here.
_TOPIC_NO_EFFECT = {
    "KmsMasterKeyId": "messages are not encrypted at rest",
    "ArchivePolicy": "messages are not archived or replayed",
    "DataProtectionPolicy": "message data protection is not applied",
    "TracingConfig": "no X-Ray traces",
}
_SUBSCRIPTION_ATTRIBUTES = (
    "FilterPolicy",
    "FilterPolicyScope",
    "RawMessageDelivery",
    "RedrivePolicy",
    "DeliveryPolicy",
    "SubscriptionRoleArn",
    "ReplayPolicy",
)
_SUBSCRIPTION_HANDLED = {"TopicArn", "Protocol", "Endpoint", "Region", *_SUBSCRIPTION_ATTRIBUTES}


@dataclass
class Found:
    topics: dict[str, TopicSpec] = field(default_factory=dict)
    subscriptions: list[SubscriptionSpec] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def find(reader: Resources) -> Found:
    found = Found()
    policies = _policies(reader)
    for logical_id in reader.of_type(TOPIC_TYPE):
        spec, inline = _topic(reader, logical_id, found.warnings)
        found.topics[spec.logical_id] = TopicSpec(
            logical_id=spec.logical_id,
            name=spec.name,
            arn=spec.arn,
            attributes=spec.attributes,
            tags=spec.tags,
            policy=policies.get(spec.arn),
        )
        found.subscriptions += inline
    for logical_id in reader.of_type(SUBSCRIPTION_TYPE):
        found.subscriptions.append(_subscription(reader, logical_id, found.warnings))
    return found


def _text(value: Any) -> str:
    """A property as SNS's attribute text: JSON for mappings, lower-case for booleans."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return fastjson.dumps_text(value)
    return str(value)


def _unknown(reader: Resources, logical_id: str, handled: set[str], warnings: list[str]) -> None:
    for name in reader.properties(logical_id):
        if name not in handled:
            warnings.append(
                f"{reader.original_id(logical_id)}: property {name} is not supported yet (ignored)"
            )


def _topic(
    reader: Resources, logical_id: str, warnings: list[str]
) -> tuple[TopicSpec, list[SubscriptionSpec]]:
    _unknown(reader, logical_id, _TOPIC_HANDLED, warnings)
    arn = reader.ref(logical_id)
    name = reader.ref(logical_id, "TopicName")
    attributes: dict[str, str] = {}
    for prop, attribute in _TOPIC_ATTRIBUTES.items():
        value = reader.get(logical_id, prop)
        if value is None:
            continue
        attributes[attribute] = _text(value)
        if prop in _TOPIC_NO_EFFECT:
            warnings.append(
                f"{reader.original_id(logical_id)}: {prop} is recorded, but "
                f"{_TOPIC_NO_EFFECT[prop]} locally"
            )
    if attributes.get("FifoTopic") == "true" and not name.endswith(".fifo"):
        raise reader.fail(logical_id, "TopicName", "a FIFO topic's name must end with .fifo")
    tags = {}
    for tag in reader.listing(logical_id, "Tags"):
        if not isinstance(tag, dict) or "Key" not in tag:
            raise reader.fail(logical_id, "Tags", "every tag needs a Key and a Value")
        tags[str(tag["Key"])] = str(tag.get("Value", ""))
    inline = []
    for entry in reader.listing(logical_id, "Subscription"):
        if not isinstance(entry, dict) or "Protocol" not in entry or "Endpoint" not in entry:
            raise reader.fail(
                logical_id, "Subscription", "every subscription needs a Protocol and an Endpoint"
            )
        inline.append(SubscriptionSpec(arn, str(entry["Protocol"]).lower(), str(entry["Endpoint"])))
    spec = TopicSpec(
        logical_id=reader.original_id(logical_id),
        name=name,
        arn=arn,
        attributes=MappingProxyType(attributes),
        tags=MappingProxyType(tags),
    )
    return spec, inline


def _subscription(reader: Resources, logical_id: str, warnings: list[str]) -> SubscriptionSpec:
    _unknown(reader, logical_id, _SUBSCRIPTION_HANDLED, warnings)
    attributes = {}
    for name in _SUBSCRIPTION_ATTRIBUTES:
        value = reader.get(logical_id, name)
        if value is not None:
            attributes[name] = _text(value)
    _check_filter(reader, logical_id, attributes)
    return SubscriptionSpec(
        topic_arn=reader.string(logical_id, "TopicArn"),
        protocol=reader.string(logical_id, "Protocol").lower(),
        endpoint=reader.string(logical_id, "Endpoint"),
        attributes=MappingProxyType(attributes),
        logical_id=reader.original_id(logical_id),
    )


def _check_filter(reader: Resources, logical_id: str, attributes: dict[str, str]) -> None:
    """A filter policy SNS would refuse is an error at the template's FilterPolicy field."""
    policy = attributes.get("FilterPolicy")
    if not policy:
        return
    scope = attributes.get("FilterPolicyScope", "MessageAttributes")
    rules = patterns.SNS_BODY if scope == "MessageBody" else patterns.SNS_ATTRIBUTES
    try:
        patterns.parse(policy, rules)
    except patterns.PatternError as exc:
        raise reader.fail(
            logical_id, "FilterPolicy", f"Invalid parameter: FilterPolicy: {exc}"
        ) from None


def _policies(reader: Resources) -> dict[str, str]:
    """Topic ARN -> the policy document an ``AWS::SNS::TopicPolicy`` gives it."""
    policies = {}
    for logical_id in reader.of_type(POLICY_TYPE):
        document = _text(reader.required(logical_id, "PolicyDocument"))
        for topic in reader.listing(logical_id, "Topics"):
            policies[str(topic)] = document
    return policies
