"""S3 buckets of an expanded template -> ``BucketSpec``, and what of them Lamina does not honour.

``AWS::S3::Bucket``: ``BucketName`` (else the name ``!Ref`` gives, generated as CloudFormation
does), ``Tags``, ``VersioningConfiguration`` (objects then keep their versions),
``NotificationConfiguration``, ``CorsConfiguration`` and ``LifecycleConfiguration`` (expiration,
noncurrent-version expiration and aborting incomplete uploads applied; transitions recorded)
are honoured; encryption, public
access blocks, ownership controls and canned ACLs have no local effect and are accepted
silently; any other property (website, logging...) is reported by name as not honoured.
``AWS::S3::BucketPolicy`` is recorded on its bucket (policies are not enforced locally). A
bucket name that breaks AWS's rules is a ``TemplateError`` naming it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from lamina import fastjson
from lamina.model.buckets import BucketSpec
from lamina.model.specs import UnsupportedResource
from lamina.template.resources import Resources

BUCKET_TYPE = "AWS::S3::Bucket"
POLICY_TYPE = "AWS::S3::BucketPolicy"
_HONOURED = frozenset(
    {
        "BucketName",
        "VersioningConfiguration",
        "Tags",
        "NotificationConfiguration",
        "CorsConfiguration",
        "LifecycleConfiguration",
    }
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
    policies = {
        str(reader.string(i, "Bucket")): _json(reader.mapping(i, "PolicyDocument"))
        for i in reader.of_type(POLICY_TYPE)
    }
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
            cors=_cors(reader, logical_id),
            lifecycle=_lifecycle(reader, logical_id),
            policy=policies.get(name),
        )
        ignored = sorted(set(reader.properties(logical_id)) - _HONOURED - _NO_LOCAL_EFFECT)
        if ignored:
            found.unsupported.append(
                UnsupportedResource(original, BUCKET_TYPE, f"{', '.join(ignored)} not honoured yet")
            )
    return found


def _json(value: Any) -> str:
    return fastjson.dumps_text(value)


def _cors(reader: Resources, logical_id: str) -> str | None:
    """``CorsConfiguration.CorsRules`` (CloudFormation's names) as the S3 API's ``CORSRules``."""
    rules = []
    for rule in reader.mapping(logical_id, "CorsConfiguration").get("CorsRules") or []:
        if not isinstance(rule, dict):
            raise reader.fail(logical_id, "CorsConfiguration", "each CorsRule must be a mapping")
        api: dict[str, Any] = {
            "AllowedMethods": [str(m) for m in rule.get("AllowedMethods") or []],
            "AllowedOrigins": [str(o) for o in rule.get("AllowedOrigins") or []],
        }
        for cfn, key in (("AllowedHeaders", "AllowedHeaders"), ("ExposedHeaders", "ExposeHeaders")):
            if rule.get(cfn):
                api[key] = [str(h) for h in rule[cfn]]
        if rule.get("Id"):
            api["ID"] = str(rule["Id"])
        if rule.get("MaxAge") is not None:
            api["MaxAgeSeconds"] = int(rule["MaxAge"])
        if not api["AllowedMethods"] or not api["AllowedOrigins"]:
            raise reader.fail(
                logical_id,
                "CorsConfiguration",
                "a CorsRule needs AllowedMethods and AllowedOrigins",
            )
        rules.append(api)
    return _json(rules) if rules else None


def _lifecycle(reader: Resources, logical_id: str) -> str | None:
    """``LifecycleConfiguration.Rules`` (CloudFormation's names) in the S3 API's form (a date as
    ``{"$date": epoch seconds}``, as the service stores it)."""
    rules = []
    for rule in reader.mapping(logical_id, "LifecycleConfiguration").get("Rules") or []:
        if not isinstance(rule, dict) or rule.get("Status") not in ("Enabled", "Disabled"):
            raise reader.fail(
                logical_id, "LifecycleConfiguration", "each rule needs Status Enabled or Disabled"
            )
        conditions: dict[str, Any] = {}
        if rule.get("Prefix") is not None:
            conditions["Prefix"] = str(rule["Prefix"])
        tags = [
            {"Key": str(t["Key"]), "Value": str(t["Value"])} for t in rule.get("TagFilters") or []
        ]
        if tags:
            conditions["Tags"] = tags
        for size in ("ObjectSizeGreaterThan", "ObjectSizeLessThan"):
            if rule.get(size) is not None:
                conditions[size] = int(rule[size])
        api: dict[str, Any] = {"Status": rule["Status"]}
        if rule.get("Id"):
            api["ID"] = str(rule["Id"])
        api["Filter"] = {"And": conditions} if len(conditions) > 1 or tags else conditions
        if rule.get("ExpirationInDays") is not None:
            api["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
        elif rule.get("ExpirationDate") is not None:
            when = str(rule["ExpirationDate"]).replace("Z", "+00:00")
            moment = dt.datetime.fromisoformat(when)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
            api["Expiration"] = {"Date": {"$date": moment.timestamp()}}
        abort = rule.get("AbortIncompleteMultipartUpload")
        if isinstance(abort, dict) and abort.get("DaysAfterInitiation") is not None:
            api["AbortIncompleteMultipartUpload"] = {
                "DaysAfterInitiation": int(abort["DaysAfterInitiation"])
            }
        for recorded in ("Transitions", "NoncurrentVersionExpiration"):
            if rule.get(recorded) is not None:
                api[recorded] = rule[recorded]
        legacy = rule.get("NoncurrentVersionExpirationInDays")
        if legacy is not None and "NoncurrentVersionExpiration" not in api:
            api["NoncurrentVersionExpiration"] = {"NoncurrentDays": int(legacy)}
        rules.append(api)
    return _json(rules) if rules else None


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
