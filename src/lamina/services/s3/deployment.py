"""The template's buckets brought to S3 at each (re)deploy: created when missing, never emptied.

A bucket the template no longer declares is left with its objects (CloudFormation would refuse
to delete a non-empty bucket too); versioning and tags follow the template's
VersioningConfiguration and Tags when it sets them. A bucket that cannot be created is a
warning naming it; the rest go on.
"""

from __future__ import annotations

import logging

from lamina import fastjson
from lamina.errors import AwsError
from lamina.model.specs import Stack
from lamina.services.s3.buckets import Buckets

log = logging.getLogger("lamina.s3")


def deploy(buckets: Buckets, stack: Stack) -> list[str]:
    """Create the stack's buckets that do not exist; the names of all it declares."""
    names = []
    for spec in stack.buckets.values():
        try:
            buckets.create(spec.name)
        except AwsError as exc:
            log.warning("bucket %s (%s) not created: %s", spec.logical_id, spec.name, exc)
            continue
        if spec.versioning:
            buckets.store.set_versioning(spec.name, spec.versioning)
        if spec.tags:
            buckets.store.set_bucket_tags(spec.name, dict(spec.tags))
        if spec.notifications:
            buckets.store.set_notifications(spec.name, dict(spec.notifications))
        for kind, text in (
            ("cors", spec.cors),
            ("lifecycle", spec.lifecycle),
            ("policy", spec.policy),
        ):
            if text is not None:
                value = text if kind == "policy" else fastjson.loads(text)
                buckets.store.set_config(spec.name, kind, value)
        names.append(spec.name)
    return names
