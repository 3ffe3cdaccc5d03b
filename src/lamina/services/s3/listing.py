"""ListObjects (v1), ListObjectsV2 and ListObjectVersions: prefix, delimiter, markers,
continuation, encoding-type.

Keys come back in S3's order (UTF-8 binary). With a delimiter, keys sharing the part of their
name up to the first delimiter after the prefix roll up into one ``CommonPrefixes`` entry,
which counts toward ``MaxKeys`` like a key; the listing then skips every key under it. v2's
continuation token is opaque to clients: here the base64 of where the next page starts after.
ListObjectVersions lists every version and delete marker by key, each key's newest first
(``IsLatest``), resuming after ``KeyMarker`` (all of its versions) or after the version
``VersionIdMarker`` of ``KeyMarker``. ``EncodingType=url`` percent-encodes the keys, prefixes
and markers in the answer (botocore asks for it and decodes them).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import urllib.parse
from typing import Any

from lamina.services.s3.errors import InvalidArgument
from lamina.services.s3.objects import OWNER, Objects
from lamina.services.s3.store import StoredObject

DEFAULT_MAX_KEYS = 1000
# Sorts after every key under a common prefix (U+10FFFF is UTF-8's largest character).
_PAST = "\U0010ffff"


class Listing:
    def __init__(self, objects: Objects) -> None:
        self.objects = objects
        self.store = objects.store

    def page(
        self, bucket: str, prefix: str, delimiter: str, after: str, max_keys: int
    ) -> tuple[list[StoredObject], list[str], bool, str]:
        """(objects, common prefixes, truncated, where the next page starts after)."""
        self.objects.require_bucket(bucket)
        contents: list[StoredObject] = []
        prefixes: list[str] = []
        last = after
        if max_keys <= 0:
            return contents, prefixes, bool(self.store.keys_after(bucket, prefix, after, 1)), last
        while True:
            batch = self.store.keys_after(bucket, prefix, after, max(max_keys, 100))
            if not batch:
                return contents, prefixes, False, last
            for stored in batch:
                if stored.key <= after:
                    continue
                common = None
                if delimiter:
                    at = stored.key.find(delimiter, len(prefix))
                    if at >= 0:
                        common = stored.key[: at + len(delimiter)]
                if len(contents) + len(prefixes) == max_keys:
                    return contents, prefixes, True, last
                if common is not None:
                    prefixes.append(common)
                    last = common
                    after = common + _PAST
                else:
                    contents.append(stored)
                    last = after = stored.key
            if len(batch) < max(max_keys, 100):
                return contents, prefixes, False, last

    def list_objects(self, params: dict[str, Any]) -> dict[str, Any]:
        prefix, delimiter = params.get("Prefix") or "", params.get("Delimiter") or ""
        marker = params.get("Marker") or ""
        max_keys = _max_keys(params)
        after = marker
        if delimiter and marker.endswith(delimiter) and marker.startswith(prefix):
            after = marker + _PAST  # a marker that is a common prefix skips what is under it
        contents, prefixes, truncated, last = self.page(
            params["Bucket"], prefix, delimiter, after, max_keys
        )
        encode = _encoder(params)
        result = self._common(params, contents, prefixes, truncated, encode, fetch_owner=True)
        result["Marker"] = encode(marker)
        if truncated and delimiter:
            result["NextMarker"] = encode(last)
        return result

    def list_objects_v2(self, params: dict[str, Any]) -> dict[str, Any]:
        prefix, delimiter = params.get("Prefix") or "", params.get("Delimiter") or ""
        token = params.get("ContinuationToken")
        start_after = params.get("StartAfter") or ""
        after = start_after
        if token is not None:
            try:
                after = base64.urlsafe_b64decode(token.encode()).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                raise InvalidArgument("The continuation token provided is incorrect") from None
        max_keys = _max_keys(params)
        contents, prefixes, truncated, last = self.page(
            params["Bucket"], prefix, delimiter, after, max_keys
        )
        encode = _encoder(params)
        result = self._common(
            params,
            contents,
            prefixes,
            truncated,
            encode,
            fetch_owner=bool(params.get("FetchOwner")),
        )
        result["KeyCount"] = len(contents) + len(prefixes)
        if token is not None:
            result["ContinuationToken"] = token
        if start_after:
            result["StartAfter"] = encode(start_after)
        if truncated:
            resume = last + _PAST if last in prefixes else last
            result["NextContinuationToken"] = base64.urlsafe_b64encode(resume.encode()).decode()
        return result

    def list_object_versions(self, params: dict[str, Any]) -> dict[str, Any]:
        bucket = params["Bucket"]
        self.objects.require_bucket(bucket)
        prefix, delimiter = params.get("Prefix") or "", params.get("Delimiter") or ""
        key_marker = params.get("KeyMarker") or ""
        version_marker = params.get("VersionIdMarker") or ""
        if version_marker and not key_marker:
            raise InvalidArgument("A version-id marker cannot be specified without a key marker.")
        max_keys = _max_keys(params)
        encode = _encoder(params)
        versions: list[dict[str, Any]] = []
        markers: list[dict[str, Any]] = []
        prefixes: list[str] = []
        truncated = False
        next_key = next_version = None
        previous_key: str | None = None
        passed_marker = not version_marker
        for stored in self.store.versions_from(bucket, prefix, key_marker):
            latest = stored.key != previous_key
            previous_key = stored.key
            if key_marker and stored.key == key_marker:
                if not passed_marker:
                    passed_marker = stored.version == version_marker
                    continue
                if not version_marker:
                    continue
            if prefixes and stored.key.startswith(prefixes[-1]):
                continue
            if delimiter and key_marker.endswith(delimiter) and stored.key.startswith(key_marker):
                continue
            common = None
            if delimiter:
                at = stored.key.find(delimiter, len(prefix))
                if at >= 0:
                    common = stored.key[: at + len(delimiter)]
            if len(versions) + len(markers) + len(prefixes) >= max_keys:
                truncated = True
                break
            if common is not None:
                prefixes.append(common)
                next_key, next_version = common, None
                continue
            entry: dict[str, Any] = {
                "Key": encode(stored.key),
                "VersionId": stored.version,
                "IsLatest": latest,
                "LastModified": dt.datetime.fromtimestamp(int(stored.modified), dt.UTC),
                "Owner": OWNER,
            }
            if stored.marker:
                markers.append(entry)
            else:
                entry.update(
                    ETag=stored.etag,
                    Size=stored.size,
                    StorageClass=stored.headers.get("StorageClass", "STANDARD"),
                )
                versions.append(entry)
            next_key, next_version = stored.key, stored.version
        result: dict[str, Any] = {
            "Name": bucket,
            "Prefix": encode(prefix),
            "KeyMarker": encode(key_marker),
            "VersionIdMarker": version_marker,
            "MaxKeys": max_keys,
            "IsTruncated": truncated,
            "Versions": versions or None,
            "DeleteMarkers": markers or None,
            "CommonPrefixes": [{"Prefix": encode(p)} for p in prefixes] or None,
        }
        if delimiter:
            result["Delimiter"] = encode(delimiter)
        if params.get("EncodingType"):
            result["EncodingType"] = params["EncodingType"]
        if truncated and next_key is not None:
            result["NextKeyMarker"] = encode(next_key)
            if next_version is not None:
                result["NextVersionIdMarker"] = next_version
        return result

    def _common(
        self,
        params: dict[str, Any],
        contents: list[StoredObject],
        prefixes: list[str],
        truncated: bool,
        encode: Any,
        fetch_owner: bool,
    ) -> dict[str, Any]:
        result: dict[str, Any] = {
            "Name": params["Bucket"],
            "Prefix": encode(params.get("Prefix") or ""),
            "MaxKeys": _max_keys(params),
            "IsTruncated": truncated,
            "Contents": [_entry(o, encode, fetch_owner) for o in contents] or None,
            "CommonPrefixes": [{"Prefix": encode(p)} for p in prefixes] or None,
        }
        if params.get("Delimiter"):
            result["Delimiter"] = encode(params["Delimiter"])
        if params.get("EncodingType"):
            result["EncodingType"] = params["EncodingType"]
        return result


def _max_keys(params: dict[str, Any]) -> int:
    value = params.get("MaxKeys")
    if value is None:
        return DEFAULT_MAX_KEYS
    if value < 0:
        raise InvalidArgument("Argument maxKeys must be an integer between 0 and 2147483647")
    return min(int(value), DEFAULT_MAX_KEYS)


def _encoder(params: dict[str, Any]) -> Any:
    if params.get("EncodingType") == "url":
        return lambda text: urllib.parse.quote(text, safe="/")
    return lambda text: text


def _entry(stored: StoredObject, encode: Any, owner: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "Key": encode(stored.key),
        "LastModified": dt.datetime.fromtimestamp(int(stored.modified), dt.UTC),
        "ETag": stored.etag,
        "Size": stored.size,
        "StorageClass": stored.headers.get("StorageClass", "STANDARD"),
    }
    if owner:
        entry["Owner"] = OWNER
    return entry
