"""Tags of buckets and objects: Put/Get/DeleteBucketTagging, Put/Get/DeleteObjectTagging, and
PutObject's and CopyObject's ``x-amz-tagging`` (``k=v&k2=v2``, URL-encoded).

An object keeps at most 10 tags, a bucket 50, keys up to 128 characters and values up to 256,
each key once, as S3 checks them (``InvalidTag``, ``BadRequest``). A bucket without tags answers
GetBucketTagging with ``NoSuchTagSet``. Object tags live with the object's headers (``Tags``);
Get/HeadObject answer how many there are (``x-amz-tagging-count``).
"""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING, Any

from lamina.errors import AwsError
from lamina.services.s3.errors import S3Error

if TYPE_CHECKING:  # objects reads x-amz-tagging through this module
    from lamina.services.s3.objects import Objects

MAX_OBJECT_TAGS = 10
MAX_BUCKET_TAGS = 50


class InvalidTag(S3Error):
    code = "InvalidTag"


class BadRequest(S3Error):
    code = "BadRequest"


class NoSuchTagSet(S3Error):
    code = "NoSuchTagSet"
    status = 404


def checked(tags: list[tuple[str, str]], limit: int, what: str) -> dict[str, str]:
    """``tags`` as a mapping, once they keep S3's rules; raises its errors otherwise."""
    if len(tags) > limit:
        error: type[AwsError] = BadRequest if what == "Object" else InvalidTag
        raise error(f"{what} tags cannot be greater than {limit}")
    kept: dict[str, str] = {}
    for key, value in tags:
        if key in kept:
            raise InvalidTag("Cannot provide multiple Tags with the same key")
        if not 1 <= len(key) <= 128:
            raise InvalidTag("The TagKey you have provided is too long, max 128")
        if len(value) > 256:
            raise InvalidTag("The TagValue you have provided is too long, max 256")
        kept[key] = value
    return kept


def from_header(header: str | None) -> dict[str, str] | None:
    """The tags of an ``x-amz-tagging`` header, None when it is absent."""
    if header is None:
        return None
    pairs = urllib.parse.parse_qsl(header, keep_blank_values=True)
    return checked(pairs, MAX_OBJECT_TAGS, "Object")


def _tag_set(params: dict[str, Any]) -> list[tuple[str, str]]:
    tag_set = (params.get("Tagging") or {}).get("TagSet") or []
    return [(str(t.get("Key", "")), str(t.get("Value", ""))) for t in tag_set]


def _answer(tags: dict[str, str]) -> dict[str, Any]:
    return {"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}


class Tagging:
    def __init__(self, objects: Objects) -> None:
        self.objects = objects
        self.store = objects.store

    def put_bucket_tagging(self, params: dict[str, Any]) -> dict[str, Any]:
        self.objects.require_bucket(params["Bucket"])
        tags = checked(_tag_set(params), MAX_BUCKET_TAGS, "Bucket")
        self.store.set_bucket_tags(params["Bucket"], tags)
        return {}

    def get_bucket_tagging(self, params: dict[str, Any]) -> dict[str, Any]:
        self.objects.require_bucket(params["Bucket"])
        tags = self.store.bucket_tags(params["Bucket"])
        if not tags:
            raise NoSuchTagSet("The TagSet does not exist")
        return _answer(tags)

    def delete_bucket_tagging(self, params: dict[str, Any]) -> dict[str, Any]:
        self.objects.require_bucket(params["Bucket"])
        self.store.set_bucket_tags(params["Bucket"], {})
        return {}

    def put_object_tagging(self, params: dict[str, Any]) -> dict[str, Any]:
        version = params.get("VersionId")
        stored = self.objects.existing(params["Bucket"], params["Key"], version)
        tags = checked(_tag_set(params), MAX_OBJECT_TAGS, "Object")
        if not self.store.set_object_tags(params["Bucket"], params["Key"], tags, stored.version):
            self.objects.existing(params["Bucket"], params["Key"], version)  # deleted meanwhile
        return self.objects.version_of(stored)

    def get_object_tagging(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self.objects.existing(params["Bucket"], params["Key"], params.get("VersionId"))
        return {**_answer(stored.headers.get("Tags") or {}), **self.objects.version_of(stored)}

    def delete_object_tagging(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self.objects.existing(params["Bucket"], params["Key"], params.get("VersionId"))
        self.store.set_object_tags(params["Bucket"], params["Key"], {}, stored.version)
        return self.objects.version_of(stored)
