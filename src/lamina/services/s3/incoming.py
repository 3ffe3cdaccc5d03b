"""A large upload's body, written to a file as it arrives: ``IncomingBody`` is the HTTP server's
``BodySink`` for S3's PutObject and UploadPart.

The server hands each piece over on the event loop; a thread of the upload's own decodes
aws-chunked framing (``payload.ChunkDecoder``), feeds the digests (MD5 for the ETag, the flexible
checksums the client claims, SHA-256 of the raw body when ``x-amz-content-sha256`` is a hash)
and writes the data to ``.<id>.tmp`` under the store's ``bodies/`` (not fsync'd: see
``store``). The MD5 and the raw SHA-256, the costliest, run on threads of ``DIGESTING`` at the
same time as the rest, fed the same batch of pieces (hashlib and zlib release the GIL on large
buffers): on two cores an 8 MB body's server time is its slowest digest's, not the sum of them.
Boto3 over plain http always sends a hex ``x-amz-content-sha256`` (botocore signs the payload on
any connection that is not https), so that hash is computed for every upload it makes.

Memory stays bounded: ``write`` answers True (pause reading) while more than
``HIGH_WATER`` bytes wait for the thread, which calls ``resume`` once they are down to
``LOW_WATER``. ``received()`` waits for the file and answers what was received, or the S3
error the body earned (bad framing, over the size limit, a disk error). Whoever takes the file
renames it into place (``Store.adopt``); ``abort`` deletes it otherwise (and after a crash, the
store's sweep at open does).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import threading
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lamina.errors import AwsError
from lamina.services.s3.errors import EntityTooLarge, IncompleteBody, InternalError
from lamina.services.s3.payload import ChunkDecoder, Digests

log = logging.getLogger("lamina.s3")
HIGH_WATER = 4 * 1024 * 1024
LOW_WATER = 1024 * 1024
# S3's largest PutObject (and UploadPart) body.
MAX_UPLOAD_BYTES = 5 * 1024**3
# Bodies at least this large stream both ways; smaller ones keep the buffered path (cheaper).
STREAM_FROM = 1024 * 1024
# Where streamed uploads' MD5 and raw SHA-256 are computed, beside their writer threads.
DIGESTING = ThreadPoolExecutor(max_workers=4, thread_name_prefix="s3-digest")


@dataclass(frozen=True, slots=True)
class BodyFile:
    """A GetObject body to send from its file: ``length`` bytes from ``offset``. Callers in
    process (a Step Functions ItemReader calls the handler itself) take ``bytes()`` of it."""

    path: str
    offset: int
    length: int

    def __bytes__(self) -> bytes:
        with open(self.path, "rb") as source:
            source.seek(self.offset)
            return source.read(self.length)


@dataclass(frozen=True, slots=True)
class Received:
    """A body on disk, not yet named: its decoded size, digests and trailers."""

    tmp: Path
    size: int
    digests: Digests
    trailers: dict[str, str]
    # Hex SHA-256 of the raw body, when the client declared one to compare with.
    sha256: str | None


class IncomingBody:
    def __init__(
        self,
        directory: Path,
        claimed: set[str],
        chunked: bool,
        hash_raw: bool,
        resume: Callable[[], None],
        limit: int = MAX_UPLOAD_BYTES,
    ) -> None:
        """``claimed``: the flexible checksums (model member names) to compute; ``chunked``:
        the body is aws-chunked; ``hash_raw``: keep a SHA-256 of the raw body."""
        self.tmp = directory / f".{uuid.uuid4().hex}.tmp"
        self.result: Received | None = None
        self._digests = Digests(dict.fromkeys(claimed, ""))
        self._decoder = ChunkDecoder() if chunked else None
        self._raw = hashlib.sha256() if hash_raw else None
        self._resume = resume
        self._limit = limit
        self._cond = threading.Condition()
        self._queue: deque[bytes] = deque()
        self._queued = 0
        self._pausing = False
        self._ended = False
        self._aborted = False
        self._finished = False
        self._loop = asyncio.get_running_loop()
        self._done: asyncio.Future[Received] = self._loop.create_future()
        threading.Thread(target=self._run, name="s3-upload", daemon=True).start()

    # -- BodySink (the event loop's side) ---------------------------------------------------

    def write(self, chunk: bytes) -> bool:
        with self._cond:
            self._queue.append(chunk)
            self._queued += len(chunk)
            self._cond.notify()
            if self._queued > HIGH_WATER:
                self._pausing = True
            return self._pausing

    def end(self) -> None:
        with self._cond:
            self._ended = True
            self._cond.notify()

    def abort(self) -> None:
        with self._cond:
            self._aborted = True
            finished = self._finished
            self._cond.notify()
        if finished:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.tmp)

    async def received(self) -> Received:
        """The body once it is all on disk; raises the S3 error it earned."""
        self.result = await self._done
        return self.result

    # -- the writer thread ------------------------------------------------------------------

    def _run(self) -> None:
        error: AwsError | None = None
        received: Received | None = None
        size = 0
        try:
            with open(self.tmp, "wb") as out:
                while True:
                    with self._cond:
                        while not self._queue and not self._ended and not self._aborted:
                            self._cond.wait()
                        if self._aborted:
                            break
                        pieces = list(self._queue)
                        self._queue.clear()
                        taken = self._queued
                        ended = self._ended and not pieces
                    if ended:
                        break
                    if error is None:
                        try:
                            size += self._take(pieces, out)
                        except AwsError as exc:
                            error = exc  # the rest is drained unread, so the client can finish
                        if size > self._limit and error is None:
                            error = EntityTooLarge(
                                "Your proposed upload exceeds the maximum allowed size"
                            )
                    self._drained(taken)
                if error is None and not self._aborted:
                    trailers = self._decoder.finish() if self._decoder is not None else {}
                    out.flush()
                    raw = self._raw.hexdigest() if self._raw is not None else None
                    received = Received(self.tmp, size, self._digests, trailers, raw)
        except AwsError as exc:
            error = exc
        except OSError as exc:
            log.error("writing upload %s failed", self.tmp, exc_info=exc)
            error = InternalError("We encountered an internal error. Please try again.")
        # Finished (the file closed) before anyone hears of it: an ``abort`` once the handler
        # has answered then deletes the file itself, before the answer is written.
        with self._cond:
            self._finished = True
            aborted = self._aborted or error is not None
        if aborted:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.tmp)
        if received is not None and not aborted:
            self._settle(received)
        else:  # a handler waiting (its client gone mid-answer) hears why, not nothing
            self._settle(error or IncompleteBody("The request body terminated unexpectedly"))

    def _take(self, pieces: list[bytes], out: BinaryIO) -> int:
        """Decode, digest and write ``pieces``; the decoded bytes written. The MD5 and the raw
        SHA-256 are computed on ``DIGESTING`` meanwhile, and done when this returns."""
        digests, decoder, raw = self._digests, self._decoder, self._raw
        pending: list[Future[None]] = []
        if raw is not None:
            pending.append(DIGESTING.submit(_feed, raw.update, pieces))
        if decoder is not None:
            data: list[bytes | memoryview] = [p for piece in pieces for p in decoder.feed(piece)]
        else:
            data = list(pieces)
        pending.append(DIGESTING.submit(_feed, digests.md5.update, data))
        written = 0
        write, checksums = out.write, digests.update_checksums
        try:
            for part in data:
                checksums(part)
                write(part)
                written += len(part)
        finally:
            for future in pending:
                future.result()
        return written

    def _drained(self, taken: int) -> None:
        with self._cond:
            self._queued -= taken
            wake = self._pausing and self._queued <= LOW_WATER
            if wake:
                self._pausing = False
        if wake:
            self._resume()

    def _settle(self, outcome: Received | AwsError) -> None:
        def settle() -> None:
            if self._done.done():
                return
            if isinstance(outcome, Received):
                self._done.set_result(outcome)
            else:
                self._done.set_exception(outcome)
                self._done.exception()  # marked seen: an abandoned upload's error is not news

        with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits any more
            self._loop.call_soon_threadsafe(settle)


def _feed(
    update: Callable[[bytes | memoryview], None], pieces: Sequence[bytes | memoryview]
) -> None:
    for piece in pieces:
        update(piece)
