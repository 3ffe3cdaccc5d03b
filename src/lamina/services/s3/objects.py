"""Object operations: Put, Get, Head, Delete, DeleteObjects, Copy, with S3's conditions and ranges.

Handlers take and give the model's members (``ModelService``). A body arrives decoded (the
service removed any aws-chunked framing) and is written through ``Store.stage`` while its MD5
(the ETag, ``"hex"``) and the checksums the client claimed are computed; a claim that does not
match is ``BadDigest`` and nothing is stored. What an object keeps besides its body: the content
headers it was written with, its ``x-amz-meta-*`` metadata and its checksums, answered on Get
and Head (checksums only with ``ChecksumMode=ENABLED`` and for the whole object).

Conditions follow RFC 7232 as S3 applies them: ``If-Match`` (else ``If-Unmodified-Since``)
failing is 412 ``PreconditionFailed``; ``If-None-Match`` (else ``If-Modified-Since``) failing is
304. Writes take ``If-None-Match: *`` (only if absent) and ``If-Match`` (only if the ETag is
still this one), checked and applied under one lock so two conditional writers cannot both win.
``Range: bytes=a-b | a- | -n`` answers 206 with ``Content-Range``; a range that starts past the
end is 416 ``InvalidRange``; a range S3 cannot parse is ignored (the whole object).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import urllib.parse
from collections.abc import Iterable
from typing import Any

from lamina.clock import SYSTEM, Clock
from lamina.services.s3.errors import (
    InvalidArgument,
    InvalidRange,
    InvalidRequest,
    MethodNotAllowed,
    NoSuchBucket,
    NoSuchKey,
    NoSuchVersion,
    NotModified,
    PreconditionFailed,
)
from lamina.services.s3.incoming import STREAM_FROM, BodyFile, Received
from lamina.services.s3.payload import CHECKSUMS, Digests
from lamina.services.s3.store import NULL_VERSION, Bucket, Store, StoredObject
from lamina.services.s3.tagging import from_header

# Members kept with an object and answered on Get/Head, as the client wrote them.
CONTENT = (
    "CacheControl",
    "ContentDisposition",
    "ContentEncoding",
    "ContentLanguage",
    "ContentType",
    "WebsiteRedirectLocation",
    "StorageClass",
    "ServerSideEncryption",
)
DEFAULT_TYPE = "binary/octet-stream"
OWNER = {"ID": "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"}
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_VERSION_ID = re.compile(r"[A-Za-z0-9._-]{32}")
_PRECONDITION = "At least one of the pre-conditions you specified did not hold"


def content_of(params: dict[str, Any]) -> dict[str, Any]:
    """What an object keeps of a Put/Copy/CreateMultipartUpload's members (JSON-ready)."""
    kept: dict[str, Any] = {n: params[n] for n in CONTENT if params.get(n) is not None}
    kept.setdefault("ContentType", DEFAULT_TYPE)
    if params.get("Expires") is not None:
        kept["Expires"] = params["Expires"].timestamp()
    metadata = params.get("Metadata")
    if metadata:
        kept["Metadata"] = {k.lower(): v for k, v in metadata.items()}
    return kept


def _timestamp(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(epoch), dt.UTC)


def etag_matches(condition: str, etag: str) -> bool:
    wanted = {tag.strip().strip('"') for tag in condition.split(",")}
    return "*" in wanted or etag.strip('"') in wanted


# How many times a GetObject reads an object whose body file a concurrent write removed.
_READ_TRIES = 3


class Objects:
    def __init__(self, store: Store, clock: Clock = SYSTEM) -> None:
        self.store = store
        self.clock = clock
        # Conditional writes check and replace under it (the stage happens before, outside).
        self.writes = threading.Lock()

    # -- shared -------------------------------------------------------------------------------

    def require_bucket(self, name: str) -> Bucket:
        found = self.store.bucket(name)
        if found is None:
            raise NoSuchBucket("The specified bucket does not exist")
        return found

    def existing(self, bucket: str, key: str, version: str | None = None) -> StoredObject:
        """The key's current version (or ``version``): NoSuchKey when its latest version is a
        delete marker (saying so in ``x-amz-delete-marker``), NoSuchVersion for an unknown
        version, MethodNotAllowed when ``version`` is a delete marker."""
        self.require_bucket(bucket)
        found = self.store.get(bucket, key, checked_version(version))
        return self._checked(bucket, key, version, found)

    def _checked(
        self, bucket: str, key: str, version: str | None, found: StoredObject | None
    ) -> StoredObject:
        """``existing``'s answer once the store answered ``found``."""
        if found is None and version is None:
            marker = self.store.latest_marker(bucket, key)
            headers = _marker_headers(marker) if marker else []
            raise NoSuchKey("The specified key does not exist.", headers)
        if found is None:
            raise NoSuchVersion(
                "The specified version does not exist.", [("x-amz-version-id", str(version))]
            )
        if found.marker:
            raise MethodNotAllowed(
                "The specified method is not allowed against this resource.",
                _marker_headers(found.version),
            )
        return found

    def version_of(self, stored: StoredObject) -> dict[str, Any]:
        """``VersionId`` as S3 answers it: in a bucket that has had versioning, and for any
        version that is not the ``null`` one."""
        if stored.version != NULL_VERSION:
            return {"VersionId": stored.version}
        bucket = self.store.bucket(stored.bucket)
        return {"VersionId": NULL_VERSION} if bucket and bucket.versioning else {}

    def write(
        self,
        params: dict[str, Any],
        pieces: Iterable[bytes | memoryview] | Received,
        digests: Digests | None,
        headers: dict[str, Any],
    ) -> StoredObject:
        """Stage ``pieces`` (or adopt the streamed body received) and name them
        ``Bucket/Key`` if the write's conditions hold."""
        bucket, key = params["Bucket"], params["Key"]
        staged = (
            self.store.adopt(pieces.tmp, pieces.size, pieces.digests.md5.digest())
            if isinstance(pieces, Received)
            else self.store.stage(pieces)
        )
        try:
            if digests is not None:
                headers.update(digests.check(params.get("ContentMD5")))
            etag = f'"{staged.md5.hex()}"'
            with self.writes:
                self.check_write(params, bucket, key)
                return self.store.put(bucket, key, staged, etag, self.clock.wall(), headers)
        except BaseException:
            self.store.discard(staged.file)
            raise

    def check_write(self, params: dict[str, Any], bucket: str, key: str) -> None:
        if_none, if_match = params.get("IfNoneMatch"), params.get("IfMatch")
        if if_none is None and if_match is None:
            return
        current = self.store.get(bucket, key)
        if if_none is not None:
            if if_none.strip() != "*":
                raise InvalidArgument("If-None-Match only supports the value *")
            if current is not None:
                raise PreconditionFailed(_PRECONDITION)
        if if_match is not None:
            if current is None:
                raise NoSuchKey("The specified key does not exist.")
            if not etag_matches(if_match, current.etag):
                raise PreconditionFailed(_PRECONDITION)

    # -- operations ---------------------------------------------------------------------------

    def put_object(self, params: dict[str, Any]) -> dict[str, Any]:
        self.require_bucket(params["Bucket"])
        claimed = {n: params[n] for n in CHECKSUMS if params.get(n) is not None}
        body = params.get("Body") or b""
        headers = content_of(params)
        tags = from_header(params.get("Tagging"))
        if tags:
            headers["Tags"] = tags
        if isinstance(body, Received):  # streamed to disk, digested on the way
            body.digests.claimed = claimed
            stored = self.write(params, body, body.digests, headers)
        else:
            digests = Digests(claimed)
            stored = self.write(params, digests.feed([body]), digests, headers)
        return {"ETag": stored.etag, **_checksums(stored), **self.version_of(stored)}

    def get_object(self, params: dict[str, Any]) -> dict[str, Any]:
        # A body read from its file is named by the object's row, and a write that replaces or
        # deletes the object unlinks that file once it commits: between the row's read and the
        # file's open, the file may be gone. The object is then read again from its new row, so
        # the answer is one version of the object, whole (a few tries: the file of an object
        # that stays put is never missing unless the state directory was tampered with).
        for attempt in range(_READ_TRIES):
            try:
                return self._get_object(params)
            except FileNotFoundError:
                if attempt == _READ_TRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def _get_object(self, params: dict[str, Any]) -> dict[str, Any]:
        bucket, key, version = params["Bucket"], params["Key"], params.get("VersionId")
        self.require_bucket(bucket)
        found, data = self.store.get_with_blob(bucket, key, checked_version(version))
        stored = self._checked(bucket, key, version, found)
        _check_read(params, stored)
        result = self._described(stored, params)
        start, end = _range(params.get("Range"), stored.size)
        if (start, end) != (0, stored.size - 1) and params.get("Range") is not None:
            result["ContentRange"] = f"bytes {start}-{end}/{stored.size}"
            for name in CHECKSUMS:
                result.pop(name, None)
        result.update(_overrides(params))
        result["ContentLength"] = end - start + 1 if stored.size else 0
        if end - start + 1 > STREAM_FROM:  # sent from the file by the server, a chunk at a time
            result["Body"] = BodyFile(str(self.store.path(stored.file)), start, end - start + 1)
        elif not stored.size:
            result["Body"] = b""
        elif data is not None:
            result["Body"] = data[start : end + 1]
        else:
            result["Body"] = b"".join(self.store.read(stored.file, start, end))
        return result

    def head_object(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self.existing(params["Bucket"], params["Key"], params.get("VersionId"))
        _check_read(params, stored)
        result = self._described(stored, params)
        result.update(_overrides(params))
        result["ContentLength"] = stored.size
        return result

    def _described(self, stored: StoredObject, params: dict[str, Any]) -> dict[str, Any]:
        headers = stored.headers
        result: dict[str, Any] = {n: headers[n] for n in CONTENT if n in headers}
        if "Expires" in headers:
            result["Expires"] = _timestamp(headers["Expires"])
        if headers.get("Metadata"):
            result["Metadata"] = headers["Metadata"]
        result.update(
            ETag=stored.etag,
            LastModified=_timestamp(stored.modified),
            AcceptRanges="bytes",
        )
        if stored.parts:
            result["PartsCount"] = stored.parts
        if headers.get("Tags"):
            result["TagCount"] = len(headers["Tags"])
        if params.get("ChecksumMode") == "ENABLED":
            result.update(_checksums(stored))
        result.update(self.version_of(stored))
        return result

    def delete_object(self, params: dict[str, Any]) -> dict[str, Any]:
        self.require_bucket(params["Bucket"])
        bucket, key = params["Bucket"], params["Key"]
        if_match = params.get("IfMatch")
        with self.writes:
            if if_match is not None:
                current = self.store.get(bucket, key)
                if current is None:
                    raise NoSuchKey("The specified key does not exist.")
                if not etag_matches(if_match, current.etag):
                    raise PreconditionFailed(_PRECONDITION)
            version = checked_version(params.get("VersionId"))
            removal = self.store.remove(bucket, key, version, self.clock.wall())
        result: dict[str, Any] = {}
        if removal.version is not None:
            result["VersionId"] = removal.version
        if removal.marker:
            result["DeleteMarker"] = True
        return result

    def delete_objects(self, params: dict[str, Any]) -> dict[str, Any]:
        self.require_bucket(params["Bucket"])
        request = params.get("Delete") or {}
        objects = request.get("Objects") or []
        if len(objects) > 1000:
            raise InvalidRequest("The request must not contain more than 1000 keys.")
        deleted = []
        with self.writes:
            for entry in objects:
                version = entry.get("VersionId")
                removal = self.store.remove(
                    params["Bucket"], entry["Key"], version, self.clock.wall()
                )
                answer: dict[str, Any] = {"Key": entry["Key"]}
                if version is not None:
                    answer["VersionId"] = version
                if removal.marker:
                    answer["DeleteMarker"] = True
                    if version is None:
                        answer["DeleteMarkerVersionId"] = removal.version
                deleted.append(answer)
        return {"Deleted": [] if request.get("Quiet") else deleted}

    def copy_object(self, params: dict[str, Any]) -> dict[str, Any]:
        self.require_bucket(params["Bucket"])
        source_bucket, source_key = copy_source(params["CopySource"])
        source = self.existing(source_bucket, source_key, source_version(params["CopySource"]))
        check_copy_source(params, source)
        replace = params.get("MetadataDirective") == "REPLACE"
        if (source_bucket, source_key, source.version) == (
            params["Bucket"],
            params["Key"],
            getattr(self.store.get(params["Bucket"], params["Key"]), "version", None),
        ) and not (replace or params.get("StorageClass") or params.get("WebsiteRedirectLocation")):
            raise InvalidRequest(
                "This copy request is illegal because it is trying to copy an object to itself "
                "without changing the object's metadata, storage class, website redirect "
                "location or encryption attributes."
            )
        headers = content_of(params) if replace else dict(source.headers)
        headers.pop("Tags", None)
        if params.get("TaggingDirective") == "REPLACE":
            tags = from_header(params.get("Tagging"))
        else:
            tags = source.headers.get("Tags")
        if tags:
            headers["Tags"] = tags
        for name in CHECKSUMS:
            headers.pop(name, None)
        if source.parts is None:
            headers.update({n: source.headers[n] for n in CHECKSUMS if n in source.headers})
        stored = self.write(params, self.store.read(source.file), None, headers)
        result: dict[str, Any] = {
            "CopyObjectResult": {
                "ETag": stored.etag,
                "LastModified": _timestamp(stored.modified),
                **_checksums(stored),
            },
            **self.version_of(stored),
        }
        if "VersionId" in self.version_of(source):
            result["CopySourceVersionId"] = source.version
        return result


# response-* query parameters (a presigned download's Content-Disposition, say) override what
# the object was stored with, in this answer only.
_OVERRIDES = {
    "ResponseCacheControl": "CacheControl",
    "ResponseContentDisposition": "ContentDisposition",
    "ResponseContentEncoding": "ContentEncoding",
    "ResponseContentLanguage": "ContentLanguage",
    "ResponseContentType": "ContentType",
    "ResponseExpires": "Expires",
}


def _overrides(params: dict[str, Any]) -> dict[str, Any]:
    return {out: params[name] for name, out in _OVERRIDES.items() if params.get(name) is not None}


def _checksums(stored: StoredObject) -> dict[str, Any]:
    return {n: stored.headers[n] for n in CHECKSUMS if n in stored.headers}


def copy_source(raw: str) -> tuple[str, str]:
    path = urllib.parse.unquote(raw.split("?", 1)[0]).lstrip("/")
    bucket, _, key = path.partition("/")
    if not bucket or not key:
        raise InvalidArgument("Invalid copy source object key")
    return bucket, key


def checked_version(version: str | None) -> str | None:
    """``version`` if it can be a version id (``null`` or 32 URL-safe characters, as S3 makes
    them); otherwise S3's InvalidArgument."""
    if version is None or version == NULL_VERSION or _VERSION_ID.fullmatch(version):
        return version
    raise InvalidArgument("Invalid version id specified")


def source_version(raw: str) -> str | None:
    """The ``versionId`` a ``CopySource`` names (``bucket/key?versionId=...``), if any."""
    query = urllib.parse.parse_qs(raw.partition("?")[2])
    return query["versionId"][0] if query.get("versionId") else None


def _marker_headers(version: str) -> list[tuple[str, str]]:
    return [("x-amz-delete-marker", "true"), ("x-amz-version-id", version)]


def _check_read(params: dict[str, Any], stored: StoredObject) -> None:
    modified = int(stored.modified)
    if_match, unmodified = params.get("IfMatch"), params.get("IfUnmodifiedSince")
    if if_match is not None:
        failed = not etag_matches(if_match, stored.etag)
    else:
        failed = unmodified is not None and modified > unmodified.timestamp()
    if failed:
        raise PreconditionFailed(_PRECONDITION)
    if_none, since = params.get("IfNoneMatch"), params.get("IfModifiedSince")
    if if_none is not None:
        unchanged = etag_matches(if_none, stored.etag)
    else:
        unchanged = since is not None and modified <= since.timestamp()
    if unchanged:
        raise NotModified("Not Modified")


def check_copy_source(params: dict[str, Any], source: StoredObject) -> None:
    renamed = {
        "IfMatch": params.get("CopySourceIfMatch"),
        "IfNoneMatch": params.get("CopySourceIfNoneMatch"),
        "IfModifiedSince": params.get("CopySourceIfModifiedSince"),
        "IfUnmodifiedSince": params.get("CopySourceIfUnmodifiedSince"),
    }
    try:
        _check_read({k: v for k, v in renamed.items() if v is not None}, source)
    except NotModified:
        raise PreconditionFailed(_PRECONDITION) from None


def _range(header: str | None, size: int) -> tuple[int, int]:
    """(first, last) byte of ``Range`` over an object of ``size`` bytes."""
    whole = (0, size - 1)
    if header is None:
        return whole
    match = _RANGE.fullmatch(header.strip())
    if match is None or match.group(1) == match.group(2) == "":
        return whole
    first, last = match.group(1), match.group(2)
    if first == "":
        length = int(last)
        if length == 0 or size == 0:
            raise InvalidRange("The requested range is not satisfiable")
        return max(0, size - length), size - 1
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if start >= size or (last != "" and int(last) < start):
        if last != "" and int(last) < start:
            return whole
        raise InvalidRange("The requested range is not satisfiable")
    return start, end
