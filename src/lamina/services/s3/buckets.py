"""Bucket operations: Create, List, Head, Delete, GetBucketLocation, versioning recorded.

A bucket's region is its ``LocationConstraint`` (none means us-east-1, as S3 has it). Creating a
bucket that exists is ``BucketAlreadyOwnedByYou`` (every bucket here is the caller's); deleting
one that holds objects, object versions or multipart uploads is ``BucketNotEmpty``. Versioning
is set by PutBucketVersioning (``Enabled`` or ``Suspended``; a bucket never returns to
unversioned) and kept by the store, which versions objects by it (see ``store``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lamina.clock import SYSTEM, Clock
from lamina.services.s3 import names
from lamina.services.s3.errors import (
    BucketAlreadyOwnedByYou,
    BucketNotEmpty,
    MalformedXML,
    NoSuchBucket,
)
from lamina.services.s3.objects import OWNER
from lamina.services.s3.store import Bucket, Store

DEFAULT_REGION = "us-east-1"


class Buckets:
    def __init__(self, store: Store, clock: Clock = SYSTEM) -> None:
        self.store = store
        self.clock = clock

    def existing(self, name: str) -> Bucket:
        bucket = self.store.bucket(name)
        if bucket is None:
            raise NoSuchBucket("The specified bucket does not exist")
        return bucket

    def create(self, name: str, region: str = DEFAULT_REGION) -> bool:
        """Create ``name`` (its name checked); False when it exists already."""
        names.check(name)
        return self.store.create_bucket(name, region, self.clock.wall())

    def create_bucket(self, params: dict[str, Any]) -> dict[str, Any]:
        config = params.get("CreateBucketConfiguration") or {}
        region = config.get("LocationConstraint") or DEFAULT_REGION
        if not self.create(params["Bucket"], region):
            raise BucketAlreadyOwnedByYou(
                "Your previous request to create the named bucket succeeded and you already own it."
            )
        return {"Location": f"/{params['Bucket']}"}

    def list_buckets(self, params: dict[str, Any]) -> dict[str, Any]:
        prefix = params.get("Prefix") or ""
        return {
            "Buckets": [
                {
                    "Name": b.name,
                    "CreationDate": dt.datetime.fromtimestamp(b.created, dt.UTC),
                    "BucketRegion": b.region,
                }
                for b in self.store.buckets()
                if b.name.startswith(prefix)
            ],
            "Owner": OWNER,
        }

    def head_bucket(self, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.existing(params["Bucket"])
        return {"BucketRegion": bucket.region}

    def delete_bucket(self, params: dict[str, Any]) -> dict[str, Any]:
        self.existing(params["Bucket"])
        if not self.store.delete_bucket(params["Bucket"]):
            raise BucketNotEmpty("The bucket you tried to delete is not empty")
        return {}

    def get_bucket_location(self, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.existing(params["Bucket"])
        # us-east-1 is answered as an empty constraint, as S3 does.
        region = None if bucket.region == DEFAULT_REGION else bucket.region
        return {"LocationConstraint": region}

    def get_bucket_versioning(self, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.existing(params["Bucket"])
        return {"Status": bucket.versioning} if bucket.versioning else {}

    def put_bucket_versioning(self, params: dict[str, Any]) -> dict[str, Any]:
        self.existing(params["Bucket"])
        config = params.get("VersioningConfiguration") or {}
        if config.get("Status") not in ("Enabled", "Suspended"):
            raise MalformedXML(
                "The XML you provided was not well-formed or did not validate against our "
                "published schema"
            )
        self.store.set_versioning(params["Bucket"], config["Status"])
        return {}
