"""S3 buckets a template declares (``AWS::S3::Bucket``), with every intrinsic function resolved."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BucketSpec:
    logical_id: str
    # The physical name ``!Ref`` gives (BucketName, else generated from stack and logical id).
    name: str
    # VersioningConfiguration.Status ("Enabled" or "Suspended"), recorded on the bucket.
    versioning: str | None = None
