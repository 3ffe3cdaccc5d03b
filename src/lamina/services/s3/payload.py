"""A request body as S3 reads it: aws-chunked framing removed, checksums computed and checked.

Current SDKs may send ``Content-Encoding: aws-chunked`` (``x-amz-content-sha256``
``STREAMING-UNSIGNED-PAYLOAD-TRAILER`` or ``STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]``):
``hex-size[;chunk-signature=...]\\r\\n<data>\\r\\n`` chunks ending with a zero-size chunk, then
trailer lines such as ``x-amz-checksum-crc32:<base64>``. ``decode`` yields the data and the
trailers; the decoded length must equal ``x-amz-decoded-content-length``. Chunk signatures are
not verified (the request's own signature was, at the door).

``Digests`` computes MD5 (the ETag) and the flexible checksums S3 answers with as the bytes go
by: CRC32, SHA-1 and SHA-256 are computed and a claimed value that differs is ``BadDigest``;
CRC32C and CRC64NVME (no library for them here) are kept as the client gave them.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from lamina.net.messages import Request
from lamina.services.s3.errors import BadDigest, IncompleteBody, InvalidDigest, InvalidRequest

# Model member name -> header name, for the checksums S3 stores with an object.
CHECKSUMS = {
    "ChecksumCRC32": "x-amz-checksum-crc32",
    "ChecksumCRC32C": "x-amz-checksum-crc32c",
    "ChecksumCRC64NVME": "x-amz-checksum-crc64nvme",
    "ChecksumSHA1": "x-amz-checksum-sha1",
    "ChecksumSHA256": "x-amz-checksum-sha256",
}
_COMPUTED = {"ChecksumCRC32", "ChecksumSHA1", "ChecksumSHA256"}


def is_chunked(request: Request) -> bool:
    encoding = request.header("content-encoding") or ""
    declared = request.header("x-amz-content-sha256") or ""
    return "aws-chunked" in encoding.lower() or declared.startswith("STREAMING-")


@dataclass(slots=True)
class Decoded:
    chunks: list[bytes | memoryview] = field(default_factory=list)
    trailers: dict[str, str] = field(default_factory=dict)


def decode(body: bytes, expected: str | None) -> Decoded:
    """The data and trailers of an aws-chunked body."""
    view = memoryview(body)
    decoded = Decoded()
    at = 0
    total = 0
    while True:
        eol = body.find(b"\r\n", at)
        if eol < 0:
            raise IncompleteBody("The request body terminated unexpectedly")
        head = body[at:eol].split(b";", 1)[0].strip()
        try:
            size = int(head, 16)
        except ValueError:
            raise InvalidRequest("Invalid chunk header in aws-chunked body") from None
        at = eol + 2
        if size == 0:
            break
        if at + size > len(body):
            raise IncompleteBody("The request body terminated unexpectedly")
        decoded.chunks.append(view[at : at + size])
        total += size
        at += size + 2
    for line in body[at:].split(b"\r\n"):
        name, sep, value = line.decode("latin-1").partition(":")
        if sep:
            decoded.trailers[name.strip().lower()] = value.strip()
    if expected is not None and expected.isdigit() and int(expected) != total:
        raise IncompleteBody(
            "You did not provide the number of bytes specified by the "
            "x-amz-decoded-content-length header."
        )
    return decoded


class ChunkDecoder:
    """``decode`` for a body that arrives in pieces: ``feed`` answers the data in each piece,
    ``finish`` the trailers once the body has ended (``IncompleteBody`` before the last chunk)."""

    _HEAD, _DATA, _CRLF, _TRAILER = range(4)
    # A chunk's header line, or the trailers, longer than this is not aws-chunked.
    _MAX_LINE = 64 * 1024

    def __init__(self) -> None:
        self._state = self._HEAD
        self._line = bytearray()
        self._left = 0
        self.size = 0

    def feed(self, data: bytes) -> list[memoryview]:
        out: list[memoryview] = []
        view = memoryview(data)
        at, end = 0, len(data)
        while at < end:
            state = self._state
            if state == self._DATA:
                take = min(self._left, end - at)
                out.append(view[at : at + take])
                at += take
                self._left -= take
                self.size += take
                if self._left == 0:
                    self._state, self._left = self._CRLF, 2
            elif state == self._CRLF:
                take = min(self._left, end - at)
                at += take
                self._left -= take
                if self._left == 0:
                    self._state = self._HEAD
            elif state == self._HEAD:
                eol = data.find(b"\n", at)
                self._line += view[at : end if eol < 0 else eol + 1]
                at = end if eol < 0 else eol + 1
                if eol >= 0:
                    self._chunk_header(bytes(self._line))
                    self._line.clear()
                elif len(self._line) > self._MAX_LINE:
                    raise InvalidRequest("Invalid chunk header in aws-chunked body")
            else:
                self._line += view[at:end]
                at = end
                if len(self._line) > self._MAX_LINE:
                    raise InvalidRequest("aws-chunked trailers too long")
        return out

    def _chunk_header(self, line: bytes) -> None:
        head = line.split(b";", 1)[0].strip()
        try:
            size = int(head, 16)
        except ValueError:
            raise InvalidRequest("Invalid chunk header in aws-chunked body") from None
        if size == 0:
            self._state = self._TRAILER
        else:
            self._state, self._left = self._DATA, size

    def finish(self) -> dict[str, str]:
        if self._state != self._TRAILER:
            raise IncompleteBody("The request body terminated unexpectedly")
        trailers: dict[str, str] = {}
        for line in bytes(self._line).split(b"\r\n"):
            name, sep, value = line.decode("latin-1").partition(":")
            if sep:
                trailers[name.strip().lower()] = value.strip()
        return trailers


def body_of(request: Request) -> tuple[list[bytes | memoryview], dict[str, str]]:
    """The request's data (in pieces) and the checksums it claims, header or trailer."""
    claimed = {
        name: value
        for name, header in CHECKSUMS.items()
        if (value := request.header(header)) is not None
    }
    if not is_chunked(request):
        return [request.body], claimed
    decoded = decode(request.body, request.header("x-amz-decoded-content-length"))
    for name, header in CHECKSUMS.items():
        if header in decoded.trailers:
            claimed[name] = decoded.trailers[header]
    return decoded.chunks, claimed


class Digests:
    """MD5 and the checksums to compute, fed the body as it is written."""

    def __init__(self, claimed: dict[str, str]) -> None:
        self.claimed = claimed
        self.md5 = hashlib.md5()
        self.crc32 = 0 if "ChecksumCRC32" in claimed else None
        self.sha1 = hashlib.sha1() if "ChecksumSHA1" in claimed else None
        self.sha256 = hashlib.sha256() if "ChecksumSHA256" in claimed else None

    def feed(self, pieces: Iterable[bytes | memoryview]) -> Iterator[bytes | memoryview]:
        for piece in pieces:
            self.update(piece)
            yield piece

    def update(self, piece: bytes | memoryview) -> None:
        self.md5.update(piece)
        self.update_checksums(piece)

    def update_checksums(self, piece: bytes | memoryview) -> None:
        """``update`` without the MD5 (which a streamed upload computes on a thread of its
        own)."""
        if self.crc32 is not None:
            self.crc32 = zlib.crc32(piece, self.crc32)
        if self.sha1 is not None:
            self.sha1.update(piece)
        if self.sha256 is not None:
            self.sha256.update(piece)

    def check(self, content_md5: str | None) -> dict[str, Any]:
        """The checksums to store (model member names); ``BadDigest`` for a claim that does
        not match the bytes received."""
        if content_md5 is not None:
            try:
                wanted = base64.b64decode(content_md5, validate=True)
            except ValueError:
                raise InvalidDigest("The Content-MD5 you specified was invalid.") from None
            if wanted != self.md5.digest():
                raise BadDigest("The Content-MD5 you specified did not match what we received.")
        computed: dict[str, str] = {}
        if self.crc32 is not None:
            computed["ChecksumCRC32"] = _b64(self.crc32.to_bytes(4, "big"))
        if self.sha1 is not None:
            computed["ChecksumSHA1"] = _b64(self.sha1.digest())
        if self.sha256 is not None:
            computed["ChecksumSHA256"] = _b64(self.sha256.digest())
        for name, value in computed.items():
            if self.claimed[name] != value:
                algorithm = name.removeprefix("Checksum")
                raise BadDigest(
                    f"The {algorithm} you specified did not match the calculated checksum."
                )
        return {n: v for n, v in self.claimed.items() if n in CHECKSUMS}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def computable(name: str) -> bool:
    return name in _COMPUTED
