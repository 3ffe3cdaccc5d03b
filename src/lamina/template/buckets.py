"""S3 buckets of an expanded template -> ``BucketSpec``, and what of them Lamina does not honour.

``AWS::S3::Bucket``: ``BucketName`` (else the name ``!Ref`` gives, generated as CloudFormation
does), ``Tags`` and ``VersioningConfiguration`` (recorded; objects keep one version) are honoured;
encryption, public access blocks, ownership controls and canned ACLs have no local effect and
are accepted silently; any other property (notifications, CORS, lifecycle, website...)
is reported by name as not honoured. ``AWS::S3::BucketPolicy`` is accepted (policies are not
enforced locally). A bucket name that breaks AWS's rules is a ``TemplateError`` naming it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from lamina.model.buckets import BucketSpec
from lamina.model.specs import UnsupportedResource
from lamina.template.resources import Resources

BUCKET_TYPE = "AWS::S3::Bucket"
POLICY_TYPE = "AWS::S3::BucketPolicy"
_HONOURED = frozenset(
    {"BucketName", "VersioningConfiguration", "Tags", "NotificationConfiguration"}
)
# CloudFormation's notification lists -> the S3 API's, with the destination's key in each.
_NOTIFICATIONS = (
    ("LambdaConfigurations", "Function", "LambdaFunctionConfigurations", "LambdaFunctionArn"),
    ("QueueConfigurations", "Queue", "QueueConfigurations", "QueueArn"),
    ("TopicConfigurations", "Topic", "TopicConfigurations", "TopicArn"),
)
_NO_LOCAL_EFFECT = frozenset(
    {"BucketEncryption", "PublicAccessBlockConfiguration", "OwnershipControls", "AccessControl"}
)
# AWS's bucket naming rules in short (the S3 service checks them in full at creation).
_VALID_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


@dataclass
class Found:
    buckets: dict[str, BucketSpec] = field(default_factory=dict)
    unsupported: list[UnsupportedResource] = field(default_factory=list)


def find(reader: Resources) -> Found:
    """Every active ``AWS::S3::Bucket`` by (original) logical id, and the properties of each
    that Lamina does not honour."""
    found = Found()
    for logical_id in reader.of_type(BUCKET_TYPE):
        original = reader.original_id(logical_id)
        name = reader.ref(logical_id)
        if not _VALID_NAME.fullmatch(name) or ".." in name:
            raise reader.fail(logical_id, "BucketName", f"{name!r} is not a valid bucket name")
        versioning = reader.mapping(logical_id, "VersioningConfiguration").get("Status")
        tags = {
            str(t["Key"]): str(t.get("Value", ""))
            for t in reader.listing(logical_id, "Tags")
            if isinstance(t, dict) and "Key" in t
        }
        found.buckets[original] = BucketSpec(
            logical_id=original,
            name=name,
            versioning=str(versioning) if versioning else None,
            tags=MappingProxyType(tags),
            notifications=MappingProxyType(_notifications(reader, logical_id, found)),
        )
        ignored = sorted(set(reader.properties(logical_id)) - _HONOURED - _NO_LOCAL_EFFECT)
        if ignored:
            found.unsupported.append(
                UnsupportedResource(original, BUCKET_TYPE, f"{', '.join(ignored)} not honoured yet")
            )
    return found


def _notifications(reader: Resources, logical_id: str, found: Found) -> dict[str, Any]:
    """``NotificationConfiguration`` (CloudFormation's shape) in the S3 API's shape."""
    config = reader.mapping(logical_id, "NotificationConfiguration")
    api: dict[str, Any] = {}
    for cfn_key, target, api_key, arn_key in _NOTIFICATIONS:
        for index, entry in enumerate(config.get(cfn_key) or []):
            if not isinstance(entry, dict) or not entry.get(target) or not entry.get("Event"):
                raise reader.fail(
                    logical_id,
                    "NotificationConfiguration",
                    f"{cfn_key}[{index}] needs an Event and a {target}",
                )
            rules = ((entry.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []
            converted: dict[str, Any] = {
                "Id": f"{reader.original_id(logical_id)}-{api_key}-{index}",
                arn_key: str(entry[target]),
                "Events": [str(entry["Event"])],
            }
            if rules:
                converted["Filter"] = {
                    "Key": {
                        "FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]
                    }
                }
            api.setdefault(api_key, []).append(converted)
    bridge = config.get("EventBridgeConfiguration")
    if isinstance(bridge, dict) and str(bridge.get("EventBridgeEnabled", True)).lower() == "true":
        # The API's form: the member's presence turns it on.
        api["EventBridgeConfiguration"] = {}
    return api
