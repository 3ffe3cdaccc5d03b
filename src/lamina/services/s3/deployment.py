"""The template's buckets brought to S3 at each (re)deploy: created when missing, never emptied."""

from __future__ import annotations

import logging

from lamina.errors import AwsError
from lamina.model.specs import Stack
from lamina.services.s3.buckets import Buckets

log = logging.getLogger("lamina.s3")


def deploy(buckets: Buckets, stack: Stack) -> list[str]:
    """Create the stack's buckets that do not exist; the names of all it declares."""
    names = []
    for spec in getattr(stack, "buckets", ()):
        try:
            buckets.create(spec.name)
        except AwsError as exc:
            log.warning("bucket %s (%s) not created: %s", spec.logical_id, spec.name, exc)
            continue
        if spec.versioning:
            buckets.store.set_versioning(spec.name, spec.versioning)
        names.append(spec.name)
    return names
