"""S3 on the services port: ``S3Service``, botocore's ``s3`` model served by ``ModelService``.

Which requests are S3's: those signed for ``s3`` (``Authorization``, a presigned URL's
``X-Amz-Credential``, or the ``AWSAccessKeyId`` of S3's legacy SigV2 presigned URLs) and those
addressed virtual-hosted-style. Addressing: path-style
``localhost:PORT/BUCKET/KEY``, or virtual-hosted-style ``BUCKET.localhost:PORT/KEY`` and
``BUCKET.s3.localhost:PORT/KEY`` (``*.localhost`` resolves to loopback; the door admits it),
which is rewritten to path-style before the operation is found: boto3 with an ``endpoint_url``
of ``http://localhost:PORT`` addresses buckets by host, with ``127.0.0.1`` by path.

Before the seam parses a request: an aws-chunked body is decoded (``payload``) and the
checksums its trailer carried become the headers they name, so handlers see plain bodies; and
the operations botocore's model cannot tell apart by URI alone are told by their query keys
(``uploadId`` makes PUT UploadPart/UploadPartCopy, GET ListParts, DELETE
AbortMultipartUpload). After: a Range answer is 206, ``NotModified`` is a bodiless 304, and
GetBucketLocation is the bare ``<LocationConstraint>`` element botocore reads.

A browser form's ``POST /BUCKET`` (multipart/form-data, its policy signed: the door checked it)
is PostObject (``postpolicy``), answered here rather than through the model, which has no such
operation.

Not served (answered ``NotImplemented`` naming the operation): ACLs, object lock.
Bodies: a PutObject or UploadPart body of ``STREAM_FROM`` bytes or more (or of unknown length)
is streamed to a file as it arrives (``incoming``, asked by the HTTP server as the head
completes), up to S3's 5 GB (``EntityTooLarge`` above, before the body is read); its
``x-amz-content-sha256`` and ``x-amz-decoded-content-length`` are checked once it is all
there, and the handler adopts the file. Smaller bodies, and everything else, are buffered. A
GetObject answer of ``STREAM_FROM`` bytes or more is a ``FileResponse``: the server sends it
from the file in chunks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lamina import ids
from lamina.clock import SYSTEM, Clock
from lamina.delivery import Deliveries
from lamina.errors import AwsError
from lamina.model.specs import Stack
from lamina.net.messages import BodySink, FileResponse, Request, Response
from lamina.net.sigv4 import Refusal
from lamina.services.api import signing_service
from lamina.services.auth import forms
from lamina.services.protocols.service import ModelService
from lamina.services.protocols.shapes import Operation
from lamina.services.protocols.wire import REST_XML
from lamina.services.s3 import payload
from lamina.services.s3.addressing import bucket_host
from lamina.services.s3.buckets import Buckets
from lamina.services.s3.configs import BucketConfigs, cors_headers
from lamina.services.s3.errors import (
    EntityTooLarge,
    IncompleteBody,
    MalformedPOSTRequest,
    MethodNotAllowed,
    NotModified,
    S3Error,
    XAmzContentSHA256Mismatch,
)
from lamina.services.s3.incoming import (
    MAX_UPLOAD_BYTES,
    STREAM_FROM,
    BodyFile,
    IncomingBody,
    Received,
)
from lamina.services.s3.listing import Listing
from lamina.services.s3.multipart import Multipart
from lamina.services.s3.notifications import Notifications
from lamina.services.s3.objects import Objects
from lamina.services.s3.postpolicy import PostPolicy
from lamina.services.s3.store import INLINE_MAX, Store
from lamina.services.s3.tagging import Tagging

log = logging.getLogger("lamina.s3")
NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
# Operations botocore's model gives the same method and URI, told apart by ``uploadId``.
_UPLOAD_OPERATIONS = {
    "PutObject": "UploadPart",
    "CopyObject": "UploadPartCopy",
    "GetObject": "ListParts",
    "DeleteObject": "AbortMultipartUpload",
}
_PLAIN_OPERATIONS = {upload: plain for plain, upload in _UPLOAD_OPERATIONS.items()}
# Run on the event loop, not a worker thread (the hop costs 100-200 us of CPU, a fifth of a
# small GetObject's in the server): an indexed row read, then a small body's blob (at most
# 64 KB) or a file of at most ``STREAM_FROM`` bytes; larger bodies are sent from their file.
_ON_LOOP = frozenset({"GetObject", "HeadObject"})
# So does a PutObject of a body SQLite keeps as a blob (at most ``INLINE_MAX`` bytes: hashed,
# then one transaction, no file), when no other thread is writing at that moment: the loop then
# waits at worst for one transaction begun since, never for a queue of them.
_SMALL_PUT = "PutObject"
# Records name the client's address; requests reach a handler without it.
_CLIENT = "127.0.0.1"


class S3Service(ModelService):
    def __init__(
        self,
        state_dir: Path,
        region: str = "us-east-1",
        deliveries: Deliveries | None = None,
        account_id: str = "000000000000",
        clock: Clock = SYSTEM,
        clock_rate: float = 1.0,
    ) -> None:
        self.store = Store(state_dir / "s3")
        # Lifecycle rules are swept on ``clock`` (LAMINA_CLOCK_RATE may speed it up).
        self.configs = BucketConfigs(self.store, clock)
        self._sweep_every_s = max(0.2, 3600.0 / max(clock_rate, 1e-9))
        self._sweeper: asyncio.Task[None] | None = None
        self.region = region
        self.notifications = Notifications(self.store, region, account_id)
        self.notifications.deliveries = deliveries
        self.buckets = Buckets(self.store)
        self.objects = Objects(self.store)
        self.listing = Listing(self.objects)
        self.multipart = Multipart(self.objects)
        self.deployed: list[str] = []
        self.tagging = Tagging(self.objects)
        self.post_policy = PostPolicy(self.objects)
        b, o, m, t = self.buckets, self.objects, self.multipart, self.tagging
        handlers = {
            "CreateBucket": b.create_bucket,
            "ListBuckets": b.list_buckets,
            "HeadBucket": b.head_bucket,
            "DeleteBucket": b.delete_bucket,
            "GetBucketLocation": b.get_bucket_location,
            "GetBucketVersioning": b.get_bucket_versioning,
            "PutBucketVersioning": b.put_bucket_versioning,
            "PutObject": o.put_object,
            "GetObject": o.get_object,
            "HeadObject": o.head_object,
            "DeleteObject": o.delete_object,
            "DeleteObjects": o.delete_objects,
            "CopyObject": o.copy_object,
            "ListObjects": self.listing.list_objects,
            "ListObjectsV2": self.listing.list_objects_v2,
            "ListObjectVersions": self.listing.list_object_versions,
            "CreateMultipartUpload": m.create_multipart_upload,
            "UploadPart": m.upload_part,
            "UploadPartCopy": m.upload_part_copy,
            "CompleteMultipartUpload": m.complete_multipart_upload,
            "AbortMultipartUpload": m.abort_multipart_upload,
            "ListParts": m.list_parts,
            "ListMultipartUploads": m.list_multipart_uploads,
            "PutBucketTagging": t.put_bucket_tagging,
            "GetBucketTagging": t.get_bucket_tagging,
            "DeleteBucketTagging": t.delete_bucket_tagging,
            "PutObjectTagging": t.put_object_tagging,
            "GetObjectTagging": t.get_object_tagging,
            "DeleteObjectTagging": t.delete_object_tagging,
            "PutBucketNotificationConfiguration": (
                self.notifications.put_bucket_notification_configuration
            ),
            "GetBucketNotificationConfiguration": (
                self.notifications.get_bucket_notification_configuration
            ),
        }
        handlers.update(self.configs.operations())
        self._notify_on(handlers)
        super().__init__("s3", handlers, render_error=self._error, finish=_finish)

    # -- Service ------------------------------------------------------------------------------

    def _notify_on(self, handlers: dict[str, Any]) -> None:
        """Object changes tell ``notifications`` once they succeeded."""
        changed, watching = self.notifications.changed, self.notifications.watching
        store = self.store

        def created(name: str, event: str) -> None:
            inner = handlers[name]

            def run(params: dict[str, Any]) -> Any:
                result = inner(params)
                if not watching(params["Bucket"]):
                    return result
                stored = store.get(params["Bucket"], params["Key"])
                if stored is not None:
                    version = result.get("VersionId")
                    changed(
                        event,
                        stored.bucket,
                        stored.key,
                        stored.size,
                        stored.etag,
                        _CLIENT,
                        version,
                    )
                return result

            handlers[name] = run

        created("PutObject", "ObjectCreated:Put")
        created("CopyObject", "ObjectCreated:Copy")
        created("CompleteMultipartUpload", "ObjectCreated:CompleteMultipartUpload")
        delete_one, delete_many = handlers["DeleteObject"], handlers["DeleteObjects"]

        def removed(bucket: str, key: str, answer: dict[str, Any]) -> None:
            marker = answer.get("DeleteMarker") and "VersionId" not in answer
            event = "ObjectRemoved:DeleteMarkerCreated" if marker else "ObjectRemoved:Delete"
            version = answer.get("DeleteMarkerVersionId") or answer.get("VersionId")
            changed(event, bucket, key, None, None, _CLIENT, version)

        def deleted_one(params: dict[str, Any]) -> Any:
            result = delete_one(params)
            answer = dict(result)
            if answer.get("DeleteMarker") and params.get("VersionId") is None:
                answer = {"DeleteMarker": True, "DeleteMarkerVersionId": answer["VersionId"]}
            removed(params["Bucket"], params["Key"], answer)
            return result

        def deleted_many(params: dict[str, Any]) -> Any:
            result = delete_many(params)
            requested = (params.get("Delete") or {}).get("Objects") or []
            answers = result.get("Deleted") or [{"Key": e["Key"]} for e in requested]
            for answer in answers:
                removed(params["Bucket"], answer["Key"], answer)
            return result

        handlers["DeleteObject"], handlers["DeleteObjects"] = deleted_one, deleted_many

    async def deploy(self, stack: Stack) -> None:
        from lamina.services.s3 import deployment

        self.notifications.loop = asyncio.get_running_loop()
        self.deployed = deployment.deploy(self.buckets, stack)
        if self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep_forever(), name="s3-lifecycle")

    def matches(self, request: Request) -> bool:
        if signing_service(request) == "s3":
            return True
        return bucket_host(request.host) is not None and request.header("x-amz-target") is None

    def incoming(
        self,
        method: str,
        path: str,
        query: str,
        index: dict[str, str],
        resume: Callable[[], None],
    ) -> BodySink | Response | None:
        """A sink for the body of a large upload to S3 (``Streamer``); None keeps it buffered."""
        if method != "PUT" or "x-amz-copy-source" in index:
            return None
        length = index.get("content-length")
        if length is None:
            if "chunked" not in index.get("transfer-encoding", "").lower():
                return None
        elif not length.isdigit() or int(length) < STREAM_FROM:
            return None
        if not _for_s3(query, index):
            return None
        declared = index.get("x-amz-decoded-content-length") or length or ""
        if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
            too_large = EntityTooLarge("Your proposed upload exceeds the maximum allowed size")
            return self._error(too_large, REST_XML, ids.request_id())
        claimed = {
            name
            for name, header in payload.CHECKSUMS.items()
            if header in index or header in index.get("x-amz-trailer", "").lower()
        }
        sha256 = index.get("x-amz-content-sha256", "")
        chunked = "aws-chunked" in index.get("content-encoding", "").lower() or (
            sha256.startswith("STREAMING-")
        )
        hashed = len(sha256) == 64 and not chunked
        return IncomingBody(self.store.bodies, claimed, chunked, hashed, resume)

    async def handle(self, request: Request) -> Response:
        try:
            request = _path_style(request)
            if isinstance(request.stream, IncomingBody):
                request = _streamed(request, await request.stream.received())
            elif payload.is_chunked(request):
                request = _decoded(request)
        except AwsError as exc:
            return self._error(exc, REST_XML, ids.request_id())
        if forms.is_form(request):
            answer = await asyncio.to_thread(self._post_form, request)
        else:
            answer = await super().handle(request)
        origin = request.header("origin")
        if origin is not None:
            rule = self.configs.cors_rule(_bucket_of(request), origin, request.method, [])
            if rule is not None:
                answer.headers.extend(cors_headers(rule, origin))
        return answer

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        self.store.close()

    def _post_form(self, request: Request) -> Response:
        """PostObject: a browser form's upload (its signature checked at the door)."""
        request_id = ids.request_id()
        try:
            try:
                form = forms.read(request)
            except Refusal as refusal:
                raise MalformedPOSTRequest(refusal.message) from None
            bucket, _, rest = request.path.lstrip("/").partition("/")
            if not bucket or rest:
                raise MethodNotAllowed("The specified method is not allowed against this resource.")
            host = request.header("host") or "localhost"
            stored, answer = self.post_policy.post_object(urllib.parse.unquote(bucket), form, host)
        except AwsError as exc:
            return self._error(exc, REST_XML, request_id)
        self.notifications.changed(
            "ObjectCreated:Post",
            stored.bucket,
            stored.key,
            stored.size,
            stored.etag,
            _CLIENT,
            self.objects.version_of(stored).get("VersionId"),
        )
        answer.headers.append(("x-amz-request-id", request_id))
        return answer

    # -- BrowserAccess ------------------------------------------------------------------------

    def preflight(self, request: Request) -> Response | None:
        request = _path_style(request)
        bucket = _bucket_of(request)
        if not bucket:
            return None
        try:
            return self.configs.preflight(bucket, request)
        except AwsError as exc:
            return self._error(exc, REST_XML, ids.request_id())

    def allows_origin(self, request: Request, origin: str) -> bool:
        bucket = _bucket_of(_path_style(request))
        return (
            bool(bucket) and self.configs.cors_rule(bucket, origin, request.method, []) is not None
        )

    # -- lifecycle ----------------------------------------------------------------------------

    async def _sweep_forever(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.sweep_lifecycle)
            except Exception:
                log.exception("S3 lifecycle sweep failed")
            await asyncio.sleep(self._sweep_every_s)

    def sweep_lifecycle(self) -> None:
        """Delete what lifecycle rules say has expired (a versioned bucket's current objects get
        a delete marker, its noncurrent versions go for good); abort uploads they say are
        stale."""
        for bucket, key in self.configs.expired():
            if self.store.delete(bucket, key):
                log.info("S3 lifecycle expired s3://%s/%s", bucket, key)
        for bucket, key, version in self.configs.noncurrent_expired():
            self.store.remove(bucket, key, version)
            log.info("S3 lifecycle expired s3://%s/%s version %s", bucket, key, version)
        for upload_id in self.configs.stale_uploads():
            self.store.finish_upload(upload_id)

    # -- ModelService's steps, where S3 differs -----------------------------------------------

    def spoken(self, request: Request) -> tuple[str, str | None]:
        protocol, name = super().spoken(request)
        if name in _UPLOAD_OPERATIONS or name in _PLAIN_OPERATIONS:
            query = urllib.parse.parse_qs(request.query, keep_blank_values=True)
            if "uploadId" in query:
                name = _UPLOAD_OPERATIONS.get(name, name)
            else:
                name = _PLAIN_OPERATIONS.get(name, name)
        return protocol, name

    def on_loop(self, name: str | None, request: Request) -> bool:
        if name in _ON_LOOP:
            return True
        return (
            name == _SMALL_PUT
            and request.stream is None
            and len(request.body) <= INLINE_MAX
            and not self.objects.writes.locked()
            and not self.store.writing()
        )

    def parse(self, request: Request, protocol: str, operation: Operation) -> dict[str, Any]:
        params = super().parse(request, protocol, operation)
        stream = request.stream
        if isinstance(stream, IncomingBody) and stream.result is not None:
            params["Body"] = stream.result
        return params

    def serialise(
        self, result: Any, protocol: str, operation: Operation, request_id: str
    ) -> Response:
        body = result.get("Body") if isinstance(result, dict) else None
        if isinstance(body, BodyFile):
            result["Body"] = b""
            answer = super().serialise(result, protocol, operation, request_id)
            return FileResponse(answer.status, answer.headers, body.path, body.offset, body.length)
        if operation.name == "GetBucketLocation":
            region = result.get("LocationConstraint") or ""
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<LocationConstraint xmlns="{NAMESPACE}">{region}</LocationConstraint>'
            )
            headers = [("x-amzn-RequestId", request_id), ("Content-Type", "application/xml")]
            return Response(200, headers, body.encode())
        return super().serialise(result, protocol, operation, request_id)

    def _error(self, exc: AwsError, protocol: str, request_id: str) -> Response:
        if isinstance(exc, NotModified):
            return Response(304, [("x-amz-request-id", request_id)], b"")
        from lamina.services.errors import render

        answer = render(exc, REST_XML, request_id)
        answer.headers.append(("x-amz-request-id", request_id))
        if isinstance(exc, S3Error):
            answer.headers.extend(exc.headers)
        return answer


def _finish(response: Response) -> Response:
    if response.status == 200 and response.header("content-range") is not None:
        response.status = 206
    return response


def _bucket_of(request: Request) -> str:
    """The bucket a path-style request addresses ("" for the service itself)."""
    return request.path.lstrip("/").split("/", 1)[0]


def _path_style(request: Request) -> Request:
    bucket = bucket_host(request.host)
    if bucket is None:
        return request
    path = f"/{bucket}{request.path}" if request.path != "/" else f"/{bucket}"
    return _copy(request, path=path)


def _decoded(request: Request) -> Request:
    pieces, claimed = payload.body_of(request)
    headers = [
        (k, v)
        for k, v in request.headers
        if k.lower() not in ("content-encoding", *payload.CHECKSUMS.values())
    ]
    encoding = [
        token.strip()
        for token in (request.header("content-encoding") or "").split(",")
        if token.strip() and token.strip().lower() != "aws-chunked"
    ]
    if encoding:
        headers.append(("Content-Encoding", ", ".join(encoding)))
    headers.extend((payload.CHECKSUMS[name], value) for name, value in claimed.items())
    return _copy(request, headers=headers, body=b"".join(pieces))


def _streamed(request: Request, received: Received) -> Request:
    """The request as handlers see it once its streamed body is on disk: its hashes and length
    checked, aws-chunked framing gone from its headers, the trailer's checksums in them."""
    declared = request.header("x-amz-content-sha256")
    if received.sha256 is not None and declared != received.sha256:
        raise XAmzContentSHA256Mismatch(
            "The provided 'x-amz-content-sha256' header does not match what was computed."
        )
    decoded = request.header("x-amz-decoded-content-length")
    if payload.is_chunked(request) and decoded is not None and decoded != str(received.size):
        raise IncompleteBody(
            "You did not provide the number of bytes specified by the "
            "x-amz-decoded-content-length header."
        )
    headers = [
        (k, v)
        for k, v in request.headers
        if k.lower() not in ("content-encoding", "content-length")
    ]
    encoding = [
        token.strip()
        for token in (request.header("content-encoding") or "").split(",")
        if token.strip() and token.strip().lower() != "aws-chunked"
    ]
    if encoding:
        headers.append(("Content-Encoding", ", ".join(encoding)))
    headers.append(("Content-Length", str(received.size)))
    for header in payload.CHECKSUMS.values():
        if header in received.trailers:
            headers.append((header, received.trailers[header]))
    return _copy(request, headers=headers)


def _for_s3(query: str, index: dict[str, str]) -> bool:
    """Whether a request's head says it is S3's (``matches``, from the head alone)."""
    auth = index.get("authorization")
    if auth is not None:
        return "/s3/aws4_request" in auth or auth.startswith("AWS ")
    if "X-Amz-Credential=" in query:
        return "%2Fs3%2Faws4_request" in query or "/s3/aws4_request" in query
    if "AWSAccessKeyId=" in query:
        return True
    return bucket_host(index.get("host", "")) is not None and "x-amz-target" not in index


def _copy(request: Request, **changes: Any) -> Request:
    return Request(
        request.method,
        changes.get("path", request.path),
        request.query,
        changes.get("headers", request.headers),
        changes.get("body", request.body),
        request.http_version,
        request.client,
        request.server,
        request.received_at,
        None,
        request.stream,
    )
