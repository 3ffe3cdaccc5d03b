"""S3 buckets a template declares (``AWS::S3::Bucket``), with every intrinsic function resolved."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True, slots=True)
class BucketSpec:
    logical_id: str
    # The physical name ``!Ref`` gives (BucketName, else generated from stack and logical id).
    name: str
    # VersioningConfiguration.Status ("Enabled" or "Suspended"): how the bucket versions objects.
    versioning: str | None = None
    # Tags, applied to the bucket (its tag set, as GetBucketTagging answers it).
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # NotificationConfiguration in the S3 API's form (LambdaFunctionConfigurations,
    # QueueConfigurations, TopicConfigurations), applied to the bucket at deploy.
    notifications: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    # CorsConfiguration's rules and LifecycleConfiguration's rules in the S3 API's form, and
    # the bucket policy (AWS::S3::BucketPolicy) — each JSON text, applied at deploy.
    cors: str | None = None
    lifecycle: str | None = None
    policy: str | None = None
