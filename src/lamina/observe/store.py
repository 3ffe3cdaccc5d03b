"""Log groups, streams and events on disk, as CloudWatch Logs keeps them.

Layout under the root (``.lamina/logs/``): a folder per log group (its name percent-encoded)
holding ``group.json`` (creation time, retention) and a file per stream, one event per line as
``timestamp_ms<TAB>ingestion_ms<TAB>message`` (backslashes and newlines escaped). Files, not
SQLite: the engine appends several events per invocation at thousands of invocations per second,
and an append is the cheapest write there is; reads (the CloudWatch Logs API) are rare and scan
a stream at most.

``put`` (the ``LogSink`` the engine writes to, on the event loop) only gathers events; every
``GATHER_S``, or as soon as ``HANDOVER_BYTES`` have gathered, they are encoded on the loop
(0.7 ms for a thousand events) and handed to a writer thread that only writes them to the
stream files it keeps open: a write can wait for the disk, and the loop must not. (A writer
thread that also encoded was tried: holding the GIL, it delayed the loop by milliseconds.)
Encoded bytes not yet written are bounded (``MAX_OUTSTANDING``): past it the loop waits for the
writer, so a function logging faster than the disk slows Lamina down rather than filling its
memory. ``write`` (PutLogEvents, from an API thread) writes before it returns, so what the API
acknowledged survives a ``kill -9`` of Lamina; events the engine gave in the last ``GATHER_S``
before Lamina is killed are lost, as CloudWatch loses what a crashed agent had not sent.

Retention: a group's ``retentionInDays`` hides older events from every read at once, and
``expire`` (run in the background) deletes them from disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import re
import shutil
import threading
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lamina import fastjson
from lamina.clock import SYSTEM
from lamina.observe.api import LogEvent

# Bytes of events gathered on the event loop before they are written at once.
HANDOVER_BYTES = 1024 * 1024
# Bytes encoded and not yet written past which the loop waits for the writer.
MAX_OUTSTANDING = 8 * 1024 * 1024
# Stream files kept open for appending.
MAX_OPEN_FILES = 256
# How long events gather on the event loop before they are written.
GATHER_S = 0.05


@dataclass(frozen=True, slots=True)
class StoredEvent:
    timestamp: int
    ingestion: int
    message: str
    stream: str


@dataclass(frozen=True, slots=True)
class StreamInfo:
    name: str
    creation_time: int
    first_event: int | None
    last_event: int | None
    last_ingestion: int | None
    stored_bytes: int


@dataclass(frozen=True, slots=True)
class GroupInfo:
    name: str
    creation_time: int
    retention_days: int | None
    stored_bytes: int


def _file_name(name: str) -> str:
    return urllib.parse.quote(name, safe="") or "%00"


def _now_ms() -> int:
    return int(SYSTEM.wall() * 1000)


Encoded = list[tuple[tuple[str, str], bytes]]


def _add_lines(events: Sequence[LogEvent], ingestion: str, out: list[str]) -> int:
    """One line per event into ``out``, ``timestamp<TAB>ingestion<TAB>message`` (``ingestion``
    holds its tabs), the message's backslashes and newlines escaped (a function's lines have
    none; PutLogEvents' messages may); returns the characters added."""
    size = 0
    for timestamp, message in events:
        if "\n" in message or "\\" in message:
            message = message.replace("\\", "\\\\").replace("\n", "\\n")
        line = f"{timestamp}{ingestion}{message}\n"
        size += len(line)
        out.append(line)
    return size


class LogStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        # Files are written by one thread at a time: the writer, or an API call's thread.
        self._lock = threading.Lock()
        self._known: set[tuple[str, str]] = set()
        self._handles: dict[tuple[str, str], BinaryIO] = {}
        # Gathered on the event loop (only its thread touches these).
        self._gathered: dict[tuple[str, str], list[str]] = {}
        self._gathered_bytes = 0
        # The ingestion time written with events: when their batch began gathering.
        self._ingestion = f"\t{_now_ms()}\t"
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Encoded on the loop, written by the writer thread (which does little but write(), so
        # it hardly holds the GIL); an Event is set once what was queued before it is written.
        self._queue: queue.SimpleQueue[Encoded | threading.Event | None] = queue.SimpleQueue()
        self._outstanding = 0
        self._counting = threading.Lock()  # both threads change _outstanding
        self._written = threading.Event()
        self._writer = threading.Thread(target=self._write_forever, name="lamina-logs", daemon=True)
        self._writer.start()

    # -- the sink (event loop thread) ------------------------------------------------------

    def put(self, group: str, stream: str, events: Sequence[LogEvent]) -> None:
        # Encoded at once into strings: strings are not tracked by the garbage collector, while
        # events held for GATHER_S would survive collections into the older generations and
        # make the full collections that follow pause the loop (gateway p99 tripled).
        if not self._gathered:
            self._ingestion = f"\t{_now_ms()}\t"
        key = (group, stream)
        lines = self._gathered.get(key)
        if lines is None:
            lines = self._gathered[key] = []
        size = _add_lines(events, self._ingestion, lines)
        self._gathered_bytes += size
        if self._gathered_bytes >= HANDOVER_BYTES:
            self._write_gathered()
        elif self._timer is None:
            loop = self._loop = asyncio.get_running_loop()
            self._timer = loop.call_later(GATHER_S, self._write_gathered)

    def _write_gathered(self, done: threading.Event | None = None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        gathered = self._gathered
        if gathered:
            self._gathered, self._gathered_bytes = {}, 0
            encoded = [
                (key, "".join(lines).encode("utf-8", "surrogatepass"))
                for key, lines in gathered.items()
            ]
            size = sum(len(data) for _, data in encoded)
            while self._outstanding > MAX_OUTSTANDING:
                # The disk is slower than the functions' output: wait for it rather than hold
                # unbounded logs in memory.
                self._written.clear()
                self._written.wait(0.1)
            with self._counting:
                self._outstanding += size
            self._queue.put(encoded)
        if done is not None:
            self._queue.put(done)

    def close(self) -> None:
        self._write_gathered()
        self._queue.put(None)
        self._writer.join(10)
        with self._lock:
            for handle in self._handles.values():
                handle.close()
            self._handles.clear()

    def flush(self) -> None:
        """Write out everything put so far (an API call reads what the engine wrote)."""
        done = threading.Event()
        loop = self._loop
        try:
            on_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            on_loop = False
        if loop is None or loop.is_closed() or on_loop:
            self._write_gathered(done)
        else:
            try:
                loop.call_soon_threadsafe(self._write_gathered, done)
            except RuntimeError:  # the loop closed meanwhile
                return
        done.wait(5)

    def _write_forever(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if isinstance(item, threading.Event):
                item.set()
                continue
            with self._lock:
                self._write(item)
            with self._counting:
                self._outstanding -= sum(len(data) for _, data in item)
            self._written.set()

    def _write(self, encoded: Encoded) -> None:
        """Called with the lock held."""
        for (group, stream), data in encoded:
            handle = self._handle(group, stream)
            if handle is not None:
                with contextlib.suppress(OSError):
                    handle.write(data)
                    handle.flush()

    def _handle(self, group: str, stream: str) -> BinaryIO | None:
        """The stream's file, open for appending (kept open: a batch touches dozens of
        streams, and opening each every time cost more than writing)."""
        key = (group, stream)
        handle = self._handles.pop(key, None)
        if handle is None:
            try:
                handle = self._stream_path(group, stream, create=True).open("ab")
            except OSError:
                return None
            if len(self._handles) >= MAX_OPEN_FILES:
                oldest = next(iter(self._handles))
                self._handles.pop(oldest).close()
        self._handles[key] = handle  # most recently used last
        return handle

    def _close_handles(self, group: str, stream: str | None = None) -> None:
        for key in [k for k in self._handles if k[0] == group and stream in (None, k[1])]:
            self._handles.pop(key).close()

    # -- groups and streams ----------------------------------------------------------------

    def _group_dir(self, group: str) -> Path:
        return self.root / _file_name(group)

    def _stream_path(self, group: str, stream: str, create: bool = False) -> Path:
        path = self._group_dir(group) / (_file_name(stream) + ".jsonl")
        if create and (group, stream) not in self._known:
            self.create_group(group, exist_ok=True)
            path.touch(exist_ok=True)
            self._known.add((group, stream))
        return path

    def create_group(self, group: str, exist_ok: bool = False) -> bool:
        """False when it already existed (and ``exist_ok``)."""
        folder = self._group_dir(group)
        meta = folder / "group.json"
        if meta.exists():
            if exist_ok:
                return False
            raise FileExistsError(group)
        folder.mkdir(parents=True, exist_ok=True)
        meta.write_text(fastjson.dumps_text({"name": group, "creationTime": _now_ms()}))
        return True

    def create_stream(self, group: str, stream: str) -> bool:
        """False when the stream already existed; KeyError when the group does not."""
        if not self.has_group(group):
            raise KeyError(group)
        path = self._stream_path(group, stream)
        if path.exists():
            return False
        path.touch()
        return True

    def has_group(self, group: str) -> bool:
        return (self._group_dir(group) / "group.json").exists()

    def has_stream(self, group: str, stream: str) -> bool:
        return self._stream_path(group, stream).exists()

    def delete_group(self, group: str) -> None:
        with self._lock:
            self._known = {k for k in self._known if k[0] != group}
            self._close_handles(group)
            shutil.rmtree(self._group_dir(group))

    def delete_stream(self, group: str, stream: str) -> None:
        with self._lock:
            self._known.discard((group, stream))
            self._close_handles(group, stream)
            self._stream_path(group, stream).unlink()

    def _meta(self, group: str) -> dict[str, object]:
        try:
            doc = fastjson.loads((self._group_dir(group) / "group.json").read_text())
        except (OSError, ValueError):
            return {}
        return doc if isinstance(doc, dict) else {}

    def set_retention(self, group: str, days: int | None) -> None:
        meta = self._meta(group)
        if days is None:
            meta.pop("retentionInDays", None)
        else:
            meta["retentionInDays"] = days
        (self._group_dir(group) / "group.json").write_text(fastjson.dumps_text(meta))

    def groups(self) -> list[GroupInfo]:
        found = []
        for folder in sorted(self.root.iterdir()) if self.root.exists() else []:
            meta_path = folder / "group.json"
            if not meta_path.exists():
                continue
            meta = self._meta(urllib.parse.unquote(folder.name))
            size = sum(p.stat().st_size for p in folder.glob("*.jsonl"))
            retention = meta.get("retentionInDays")
            found.append(
                GroupInfo(
                    str(meta.get("name") or urllib.parse.unquote(folder.name)),
                    int(meta.get("creationTime") or 0),  # type: ignore[call-overload]
                    int(retention) if isinstance(retention, int) else None,
                    size,
                )
            )
        return sorted(found, key=lambda g: g.name)

    def streams(self, group: str) -> list[StreamInfo]:
        folder = self._group_dir(group)
        found = []
        for path in folder.glob("*.jsonl"):
            events = list(self._read(path, group, ""))
            stat = path.stat()
            found.append(
                StreamInfo(
                    urllib.parse.unquote(path.name.removesuffix(".jsonl")),
                    int(stat.st_ctime * 1000),
                    events[0].timestamp if events else None,
                    events[-1].timestamp if events else None,
                    max((e.ingestion for e in events), default=None),
                    stat.st_size,
                )
            )
        return sorted(found, key=lambda s: s.name)

    # -- events ----------------------------------------------------------------------------

    def write(self, group: str, stream: str, events: Sequence[LogEvent]) -> None:
        """Append now (PutLogEvents, from an API thread): written before the caller answers."""
        with self._lock:
            lines: list[str] = []
            _add_lines(events, f"\t{_now_ms()}\t", lines)
            self._write([((group, stream), "".join(lines).encode("utf-8", "surrogatepass"))])

    def events(self, group: str, stream: str) -> list[StoredEvent]:
        """Every event of the stream within the group's retention, in the order written."""
        self.flush()
        return list(self._read(self._stream_path(group, stream), group, stream))

    def all_events(self, group: str, streams: Sequence[str]) -> Iterator[StoredEvent]:
        self.flush()
        for stream in streams:
            yield from self._read(self._stream_path(group, stream), group, stream)

    def _cutoff(self, group: str) -> int:
        days = self._meta(group).get("retentionInDays")
        return _now_ms() - int(days) * 86_400_000 if isinstance(days, int) else 0

    def _read(self, path: Path, group: str, stream: str) -> Iterator[StoredEvent]:
        cutoff = self._cutoff(group)
        try:
            data = path.read_bytes()
        except OSError:
            return
        for line in data.split(b"\n"):
            event = _parse(line, stream)
            if event is not None and event.timestamp >= cutoff:
                yield event

    def expire(self) -> int:
        """Delete events older than their group's retention; returns how many went."""
        gone = 0
        for group in self.groups():
            if group.retention_days is None:
                continue
            cutoff = self._cutoff(group.name)
            for path in self._group_dir(group.name).glob("*.jsonl"):
                with self._lock:
                    lines = [x for x in path.read_bytes().split(b"\n") if x]
                    kept = [
                        x for x in lines if (e := _parse(x, "")) is None or e.timestamp >= cutoff
                    ]
                    if len(kept) == len(lines):
                        continue
                    gone += len(lines) - len(kept)
                    stream = urllib.parse.unquote(path.name.removesuffix(".jsonl"))
                    self._close_handles(group.name, stream)
                    tmp = path.with_suffix(".tmp")
                    tmp.write_bytes(b"".join(k + b"\n" for k in kept))
                    os.replace(tmp, path)
        return gone


def _parse(line: bytes, stream: str) -> StoredEvent | None:
    """One stored line; None for a line being written right now (or not one of ours)."""
    parts = line.split(b"\t", 2)
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    message = parts[2].decode("utf-8", "surrogatepass")
    if "\\" in message:
        message = re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), message)
    return StoredEvent(int(parts[0]), int(parts[1]), message, stream)
