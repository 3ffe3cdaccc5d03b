"""Multipart uploads: Create, UploadPart(Copy), Complete, Abort, ListParts, ListMultipartUploads.

Each part is a body file of its own (``Store.stage``), its ETag the MD5 of its bytes. Complete
checks the list it is given as S3 does (ascending part numbers: ``InvalidPartOrder``; every part
uploaded with that ETag: ``InvalidPart``; every part but the last at least 5 MiB:
``EntityTooSmall``), then writes the object by streaming the parts' files into one new body,
and the object's ETag is AWS's: the MD5 of the parts' binary MD5s, then ``-`` and the count.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from typing import Any

from lamina.services.s3.errors import (
    EntityTooSmall,
    InvalidArgument,
    InvalidPart,
    InvalidPartOrder,
    MalformedXML,
    NoSuchUpload,
)
from lamina.services.s3.incoming import Received
from lamina.services.s3.objects import (
    OWNER,
    Objects,
    check_copy_source,
    content_of,
    copy_source,
    source_version,
)
from lamina.services.s3.payload import CHECKSUMS, Digests
from lamina.services.s3.store import Part, Upload
from lamina.services.s3.tagging import from_header

MIN_PART_BYTES = 5 * 1024 * 1024
_COPY_RANGE = re.compile(r"bytes=(\d+)-(\d+)")
MAX_PARTS = 10_000


def _when(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(epoch), dt.UTC)


class Multipart:
    def __init__(self, objects: Objects) -> None:
        self.objects = objects
        self.store = objects.store

    def _upload(self, params: dict[str, Any]) -> Upload:
        self.objects.require_bucket(params["Bucket"])
        upload = self.store.upload(params["UploadId"])
        if upload is None or (upload.bucket, upload.key) != (params["Bucket"], params["Key"]):
            raise NoSuchUpload(
                "The specified upload does not exist. The upload ID may be invalid, or the "
                "upload may have been aborted or completed."
            )
        return upload

    def create_multipart_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        self.objects.require_bucket(params["Bucket"])
        headers = content_of(params)
        tags = from_header(params.get("Tagging"))
        if tags:
            headers["Tags"] = tags
        upload_id = self.store.create_upload(
            params["Bucket"], params["Key"], self.objects.clock.wall(), headers
        )
        return {"Bucket": params["Bucket"], "Key": params["Key"], "UploadId": upload_id}

    def upload_part(self, params: dict[str, Any]) -> dict[str, Any]:
        upload = self._upload(params)
        number = params["PartNumber"]
        if not 1 <= number <= MAX_PARTS:
            raise InvalidArgument("Part number must be an integer between 1 and 10000, inclusive")
        claimed = {n: params[n] for n in CHECKSUMS if params.get(n) is not None}
        body = params.get("Body") or b""
        if isinstance(body, Received):  # streamed to disk, digested on the way
            digests = body.digests
            digests.claimed = claimed
            staged = self.store.adopt(body.tmp, body.size, digests.md5.digest())
        else:
            digests = Digests(claimed)
            staged = self.store.stage(digests.feed([body]))
        try:
            checksums = digests.check(params.get("ContentMD5"))
            etag = f'"{staged.md5.hex()}"'
            if not self.store.put_part(upload.id, number, staged, etag, self.objects.clock.wall()):
                raise NoSuchUpload("The specified upload does not exist.")
        except BaseException:
            self.store.discard(staged.file)
            raise
        return {"ETag": etag, **checksums}

    def upload_part_copy(self, params: dict[str, Any]) -> dict[str, Any]:
        """A part copied from (a byte range of) an existing object."""
        upload = self._upload(params)
        number = params["PartNumber"]
        if not 1 <= number <= MAX_PARTS:
            raise InvalidArgument("Part number must be an integer between 1 and 10000, inclusive")
        source_bucket, source_key = copy_source(params["CopySource"])
        source = self.objects.existing(
            source_bucket, source_key, source_version(params["CopySource"])
        )
        check_copy_source(params, source)
        start, end = 0, source.size - 1
        wanted = params.get("CopySourceRange")
        if wanted is not None:
            match = _COPY_RANGE.fullmatch(wanted.strip())
            if match is None or int(match.group(2)) < int(match.group(1)):
                raise InvalidArgument(
                    "The x-amz-copy-source-range value must be of the form bytes=first-last "
                    "where first and last are the zero-based offsets of the first and last "
                    "bytes to copy"
                )
            start, end = int(match.group(1)), int(match.group(2))
            if end >= source.size:
                raise InvalidArgument(
                    f"Range specified is not valid for source object of size: {source.size}"
                )
        staged = self.store.stage(self.store.read(source.file, start, end) if source.size else [])
        etag = f'"{staged.md5.hex()}"'
        modified = self.objects.clock.wall()
        if not self.store.put_part(upload.id, number, staged, etag, modified):
            self.store.discard(staged.file)
            raise NoSuchUpload("The specified upload does not exist.")
        return {"CopyPartResult": {"ETag": etag, "LastModified": _when(modified)}}

    def complete_multipart_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        upload = self._upload(params)
        given = (params.get("MultipartUpload") or {}).get("Parts") or []
        if not given:
            raise MalformedXML(
                "The XML you provided was not well-formed or did not validate against our "
                "published schema"
            )
        uploaded = {p.number: p for p in self.store.parts(upload.id)}
        chosen: list[Part] = []
        previous = 0
        for entry in given:
            number = entry.get("PartNumber", 0)
            if number <= previous:
                raise InvalidPartOrder(
                    "The list of parts was not in ascending order. Parts must be ordered by "
                    "part number."
                )
            previous = number
            part = uploaded.get(number)
            if part is None or part.etag.strip('"') != str(entry.get("ETag", "")).strip('"'):
                raise InvalidPart(
                    "One or more of the specified parts could not be found.  The part may not "
                    "have been uploaded, or the specified entity tag may not have matched the "
                    "part's entity tag."
                )
            chosen.append(part)
        for part in chosen[:-1]:
            if part.size < MIN_PART_BYTES:
                raise EntityTooSmall(
                    "Your proposed upload is smaller than the minimum allowed object size."
                )
        digest = hashlib.md5(b"".join(bytes.fromhex(p.etag.strip('"')) for p in chosen))
        etag = f'"{digest.hexdigest()}-{len(chosen)}"'
        staged = self.store.stage(self._concatenated(chosen))
        try:
            self.objects.require_bucket(upload.bucket)
            with self.objects.writes:
                self.objects.check_write(params, upload.bucket, upload.key)
                stored = self.store.put(
                    upload.bucket,
                    upload.key,
                    staged,
                    etag,
                    self.objects.clock.wall(),
                    dict(upload.headers),
                    parts=len(chosen),
                )
        except BaseException:
            self.store.discard(staged.file)
            raise
        self.store.finish_upload(upload.id)
        return {
            "Location": f"/{upload.bucket}/{upload.key}",
            "Bucket": upload.bucket,
            **self.objects.version_of(stored),
            "Key": upload.key,
            "ETag": etag,
        }

    def _concatenated(self, parts: list[Part]) -> Iterator[bytes]:
        for part in parts:
            yield from self.store.read(part.file)

    def abort_multipart_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        upload = self._upload(params)
        self.store.finish_upload(upload.id)
        return {}

    def list_parts(self, params: dict[str, Any]) -> dict[str, Any]:
        upload = self._upload(params)
        marker = params.get("PartNumberMarker") or 0
        max_parts = min(params.get("MaxParts") or 1000, 1000)
        parts = [p for p in self.store.parts(upload.id) if p.number > marker]
        page = parts[:max_parts]
        result: dict[str, Any] = {
            "Bucket": upload.bucket,
            "Key": upload.key,
            "UploadId": upload.id,
            "PartNumberMarker": marker,
            "MaxParts": max_parts,
            "IsTruncated": len(parts) > max_parts,
            "Parts": [
                {
                    "PartNumber": p.number,
                    "LastModified": _when(p.modified),
                    "ETag": p.etag,
                    "Size": p.size,
                }
                for p in page
            ],
            "Initiator": OWNER,
            "Owner": OWNER,
            "StorageClass": "STANDARD",
        }
        if page:
            result["NextPartNumberMarker"] = page[-1].number
        return result

    def list_multipart_uploads(self, params: dict[str, Any]) -> dict[str, Any]:
        self.objects.require_bucket(params["Bucket"])
        prefix = params.get("Prefix") or ""
        uploads = [u for u in self.store.uploads(params["Bucket"]) if u.key.startswith(prefix)]
        return {
            "Bucket": params["Bucket"],
            "Prefix": prefix,
            "MaxUploads": 1000,
            "IsTruncated": False,
            "Uploads": [
                {
                    "UploadId": u.id,
                    "Key": u.key,
                    "Initiated": _when(u.initiated),
                    "StorageClass": "STANDARD",
                    "Owner": OWNER,
                    "Initiator": OWNER,
                }
                for u in uploads
            ],
        }
