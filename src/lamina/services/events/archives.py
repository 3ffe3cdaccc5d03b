"""EventBridge archives and replays.

An archive keeps the events put on its bus that match its ``EventPattern`` (all of them without
one), written with ``PutEvents``' outbox rows in one transaction; ``RetentionDays`` (0: for
ever) drops older ones when the archive is read. ``StartReplay`` sends the archived events whose
time lies in ``[EventStartTime, EventEndTime]`` back to the bus, oldest first, each with a
``replay-name`` field, through the bus's rules (only those in ``Destination.FilterArns`` when
given) to their targets: a replay runs on a thread of its own and goes STARTING → RUNNING →
COMPLETED (or CANCELLING → CANCELLED after ``CancelReplay``). Replayed events are not archived
again. A replay that Lamina's stop interrupted is FAILED on the next start, with that reason.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lamina import fastjson, patterns, timestamps
from lamina.model.schedules import ArchiveSpec
from lamina.services.events.errors import (
    InvalidEventPatternException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
    ValidationException,
)
from lamina.services.lambda_.pagination import paginate

if TYPE_CHECKING:
    from lamina.services.events.service import EventBridge

ARCHIVE = "archive"
REPLAY = "replay"
_DAY_S = 86_400.0
_ENDED = ("COMPLETED", "CANCELLED", "FAILED")
Params = dict[str, Any]


class Archives:
    def __init__(self, bridge: EventBridge) -> None:
        self.bridge = bridge
        self.store = bridge.store
        self._patterns: dict[str, patterns.Pattern | None] = {}
        self._cancelled: set[str] = set()
        for replay in self.store.things(REPLAY):
            if replay["State"] not in _ENDED:
                replay.update(State="FAILED", StateReason="Lamina stopped during the replay.")
                self.store.put_thing(REPLAY, replay["ReplayName"], replay)

    def operations(self) -> dict[str, Callable[[Params], Any]]:
        return {
            "CreateArchive": self.create_archive,
            "DescribeArchive": self.describe_archive,
            "ListArchives": self.list_archives,
            "UpdateArchive": self.update_archive,
            "DeleteArchive": self.delete_archive,
            "StartReplay": self.start_replay,
            "DescribeReplay": self.describe_replay,
            "ListReplays": self.list_replays,
            "CancelReplay": self.cancel_replay,
        }

    # -- archives ------------------------------------------------------------------------------

    def create_archive(self, params: Params) -> Params:
        name = str(params["ArchiveName"])
        source = str(params["EventSourceArn"])
        bus = source.rsplit("/", 1)[-1] if ":event-bus/" in source else None
        if bus is None or bus not in self.bridge.store.buses():
            raise ResourceNotFoundException(
                f"Event bus {source.rsplit('/', 1)[-1]} does not exist."
            )
        with self.store.lock:
            if self.store.thing(ARCHIVE, name) is not None:
                raise ResourceAlreadyExistsException(f"Archive {name} already exists.")
            doc = self._new(name, bus, int(params.get("RetentionDays") or 0))
            self._set(doc, params)
            self.store.put_thing(ARCHIVE, name, doc)
        return {key: doc[key] for key in ("ArchiveArn", "State", "CreationTime")}

    def _new(self, name: str, bus: str, retention_days: int) -> Params:
        return {
            "ArchiveArn": self.bridge.arn(f"archive/{name}"),
            "ArchiveName": name,
            "EventSourceArn": self.bridge.bus_arn(bus),
            "State": "ENABLED",
            "RetentionDays": retention_days,
            "CreationTime": self.bridge.clock.wall(),
            "bus": bus,
        }

    def deploy(self, specs: tuple[ArchiveSpec, ...]) -> None:
        """The template's archives: created, or their pattern, retention and description set
        (their events kept)."""
        for spec in specs:
            with self.store.lock:
                doc = self.store.thing(ARCHIVE, spec.name) or self._new(
                    spec.name, spec.bus, spec.retention_days
                )
                doc["RetentionDays"] = spec.retention_days
                for key, value in (
                    ("EventPattern", spec.pattern),
                    ("Description", spec.description),
                ):
                    if value is None:
                        doc.pop(key, None)
                    else:
                        doc[key] = value
                self.store.put_thing(ARCHIVE, spec.name, doc)
            self._patterns.pop(spec.name, None)

    def update_archive(self, params: Params) -> Params:
        name = str(params["ArchiveName"])
        with self.store.lock:
            doc = self._archive(name)
            if params.get("RetentionDays") is not None:
                doc["RetentionDays"] = int(params["RetentionDays"])
            self._set(doc, params)
            self.store.put_thing(ARCHIVE, name, doc)
        self._patterns.pop(name, None)
        return {key: doc[key] for key in ("ArchiveArn", "State", "CreationTime")}

    def _set(self, doc: Params, params: Params) -> None:
        for key in ("Description", "KmsKeyIdentifier"):
            if params.get(key) is not None:
                doc[key] = params[key]
        if params.get("EventPattern") is not None:
            text = str(params["EventPattern"])
            try:
                patterns.parse(text)
            except patterns.PatternError as exc:
                raise InvalidEventPatternException(
                    f"Event pattern is not valid. Reason: {exc}"
                ) from None
            doc["EventPattern"] = text

    def describe_archive(self, params: Params) -> Params:
        name = str(params["ArchiveName"])
        doc = self._archive(name)
        self._retain(doc)
        count, size = self.store.archive_size(name)
        return {**_shown(doc), "EventCount": count, "SizeBytes": size}

    def list_archives(self, params: Params) -> Params:
        prefix = str(params.get("NamePrefix") or "")
        source, state = params.get("EventSourceArn"), params.get("State")
        found = []
        for doc in self.store.things(ARCHIVE):
            if not doc["ArchiveName"].startswith(prefix):
                continue
            if (source and doc["EventSourceArn"] != source) or (state and doc["State"] != state):
                continue
            count, size = self.store.archive_size(doc["ArchiveName"])
            found.append(
                {
                    key: doc[key]
                    for key in (
                        "ArchiveName",
                        "EventSourceArn",
                        "State",
                        "RetentionDays",
                        "CreationTime",
                    )
                }
                | {"EventCount": count, "SizeBytes": size}
            )
        page, token = paginate(found, params.get("NextToken"), params.get("Limit"), 100)
        return {"Archives": page, **({"NextToken": token} if token else {})}

    def delete_archive(self, params: Params) -> Params:
        name = str(params["ArchiveName"])
        with self.store.lock:
            self._archive(name)
            self.store.delete_thing(ARCHIVE, name)
            self.store.forget_archived(name)
        self._patterns.pop(name, None)
        return {}

    def _archive(self, name: str) -> Params:
        doc = self.store.thing(ARCHIVE, name)
        if doc is None:
            raise ResourceNotFoundException(f"Archive {name} does not exist.")
        return doc

    def _retain(self, doc: Params) -> None:
        days = int(doc.get("RetentionDays") or 0)
        if days > 0:
            before = self.bridge.clock.wall() - days * _DAY_S
            self.store.forget_archived(doc["ArchiveName"], before)

    def archiving(self, bus: str, event: Params) -> list[tuple[str, float, str]]:
        """The (archive, time, event JSON) rows ``event`` adds to ``bus``'s archives."""
        if "replay-name" in event:
            return []
        rows = []
        for doc in self.store.things(ARCHIVE):
            if doc.get("bus") != bus:
                continue
            name = doc["ArchiveName"]
            if name not in self._patterns:
                text = doc.get("EventPattern")
                self._patterns[name] = patterns.parse(str(text)) if text else None
            pattern = self._patterns[name]
            if pattern is None or pattern.matches(event):
                when = timestamps.parse_iso(str(event["time"]))
                rows.append((name, when, fastjson.dumps_text(event)))
        return rows

    # -- replays -------------------------------------------------------------------------------

    def start_replay(self, params: Params) -> Params:
        name = str(params["ReplayName"])
        source = str(params["EventSourceArn"])
        archive = self._archive(source.rsplit("/", 1)[-1])
        start = params["EventStartTime"].timestamp()
        end = params["EventEndTime"].timestamp()
        if end <= start:
            raise ValidationException(
                "Parameter EventEndTime is not valid. Reason: EventEndTime must be after "
                "EventStartTime."
            )
        destination = dict(params["Destination"])
        if destination.get("Arn") != archive["EventSourceArn"]:
            raise ValidationException(
                "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not "
                "permitted."
            )
        with self.store.lock:
            if self.store.thing(REPLAY, name) is not None:
                raise ResourceAlreadyExistsException(f"Replay {name} already exists.")
            doc: Params = {
                "ReplayName": name,
                "ReplayArn": self.bridge.arn(f"replay/{name}"),
                "EventSourceArn": source,
                "Destination": destination,
                "EventStartTime": start,
                "EventEndTime": end,
                "State": "STARTING",
                "ReplayStartTime": self.bridge.clock.wall(),
            }
            if params.get("Description") is not None:
                doc["Description"] = params["Description"]
            self.store.put_thing(REPLAY, name, doc)
        threading.Thread(
            target=self._replay, args=(dict(doc), archive), name=f"replay-{name}", daemon=True
        ).start()
        return {key: doc[key] for key in ("ReplayArn", "State", "ReplayStartTime")}

    def _replay(self, doc: Params, archive: Params) -> None:
        name = doc["ReplayName"]
        self._retain(archive)
        doc["State"] = "RUNNING"
        self.store.put_thing(REPLAY, name, doc)
        rules = set(doc["Destination"].get("FilterArns") or [])
        bus = archive["bus"]
        try:
            for event in self.store.archived(
                archive["ArchiveName"], doc["EventStartTime"], doc["EventEndTime"]
            ):
                if name in self._cancelled:
                    break
                event["replay-name"] = name
                outbox = [
                    d for d in self.bridge.matched(bus, event) if not rules or d["rule"] in rules
                ]
                self.bridge.store.enqueue(outbox, self.bridge.clock.wall())
                if outbox:
                    self.bridge.wake()
                doc["EventLastReplayedTime"] = timestamps.parse_iso(str(event["time"]))
        except Exception as exc:
            doc.update(State="FAILED", StateReason=str(exc))
        else:
            cancelled = name in self._cancelled
            doc["State"] = "CANCELLED" if cancelled else "COMPLETED"
        self._cancelled.discard(name)
        doc["ReplayEndTime"] = self.bridge.clock.wall()
        self.store.put_thing(REPLAY, name, doc)

    def describe_replay(self, params: Params) -> Params:
        return self._replay_doc(str(params["ReplayName"]))

    def list_replays(self, params: Params) -> Params:
        prefix = str(params.get("NamePrefix") or "")
        source, state = params.get("EventSourceArn"), params.get("State")
        found = [
            {
                key: doc[key]
                for key in (
                    "ReplayName",
                    "EventSourceArn",
                    "State",
                    "EventStartTime",
                    "EventEndTime",
                    "EventLastReplayedTime",
                    "ReplayStartTime",
                    "ReplayEndTime",
                    "StateReason",
                )
                if key in doc
            }
            for doc in self.store.things(REPLAY)
            if doc["ReplayName"].startswith(prefix)
            and (not source or doc["EventSourceArn"] == source)
            and (not state or doc["State"] == state)
        ]
        page, token = paginate(found, params.get("NextToken"), params.get("Limit"), 100)
        return {"Replays": page, **({"NextToken": token} if token else {})}

    def cancel_replay(self, params: Params) -> Params:
        name = str(params["ReplayName"])
        with self.store.lock:
            doc = self._replay_doc(name)
            if doc["State"] in _ENDED:
                raise ValidationException(f"Replay {name} is not in a state that can be cancelled.")
            self._cancelled.add(name)
            doc["State"] = "CANCELLING"
            self.store.put_thing(REPLAY, name, doc)
        return {"ReplayArn": doc["ReplayArn"], "State": "CANCELLING"}

    def _replay_doc(self, name: str) -> Params:
        doc = self.store.thing(REPLAY, name)
        if doc is None:
            raise ResourceNotFoundException(f"Replay {name} does not exist.")
        return doc


def _shown(doc: Params) -> Params:
    return {k: v for k, v in doc.items() if k != "bus"}
