"""X-Ray on the AWS endpoint (rest-json) and on its daemon's UDP port.

What the X-Ray SDK and powertools' ``Tracer`` send reaches ``Traces.receive``: through
``PutTraceSegments`` (documents as JSON text) or as UDP datagrams to the daemon address every
function gets (``AWS_XRAY_DAEMON_ADDRESS``), each ``{"format": "json", "version": 1}`` then a
newline and one segment. A segment is checked as X-Ray checks it (``trace_id`` of the form
``1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx``, a 16-hex-digit ``id``, ``name``, ``start_time``, and
``end_time`` unless ``in_progress``); one that fails comes back in ``UnprocessedTraceSegments``
(the daemon logs it). ``GetTraceSummaries`` summarises the traces with a segment in the time
range (duration, response time, fault/error/throttle, HTTP, annotations, users, services,
resource ARNs, the entry point); ``BatchGetTraces`` returns their segments. A
``FilterExpression`` is refused by name: Lamina does not evaluate X-Ray's filter language yet.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lamina import fastjson
from lamina.clock import SYSTEM, Clock
from lamina.observe.tracing import Recorded
from lamina.services.lambda_.pagination import paginate
from lamina.services.protocols.service import ModelService
from lamina.services.xray.errors import InvalidRequestException
from lamina.services.xray.store import Store

log = logging.getLogger("lamina.xray")

DATABASE = "xray.sqlite3"
_TRACE_ID = re.compile(r"^1-[0-9a-f]{8}-[0-9a-f]{24}$")
_SEGMENT_ID = re.compile(r"^[0-9a-f]{16}$")
_MAX_RANGE_S = 24 * 3600.0
Params = dict[str, Any]


class Traces:
    def __init__(self, store: Store, clock: Clock = SYSTEM) -> None:
        self.store = store
        self.clock = clock
        # Where received segments go besides the store (an OTLP exporter), if anywhere.
        self.forward: Callable[[list[Params]], None] | None = None

    def operations(self) -> dict[str, Callable[[Params], Any]]:
        return {
            "PutTraceSegments": self.put_trace_segments,
            "GetTraceSummaries": self.get_trace_summaries,
            "BatchGetTraces": self.batch_get_traces,
        }

    # -- receiving -----------------------------------------------------------------------------

    def receive(self, documents: list[str]) -> list[Params]:
        """Store the valid segments among ``documents``; what was not stored, and why."""
        good: list[Params] = []
        bad: list[Params] = []
        for text in documents:
            try:
                segment = fastjson.loads(text)
            except ValueError:
                bad.append({"ErrorCode": "InvalidSegment", "Message": "Invalid segment JSON"})
                continue
            reason = _invalid(segment)
            if reason is not None:
                found: Params = {"ErrorCode": "InvalidSegment", "Message": reason}
                if isinstance(segment, dict) and isinstance(segment.get("id"), str):
                    found["Id"] = segment["id"]
                bad.append(found)
                continue
            good.append(segment)
        if good:
            self.store.put(good, self.clock.wall())
            if self.forward is not None:
                try:
                    self.forward(good)
                except Exception:  # stored and acknowledged: the export is best effort
                    log.exception("X-Ray: segments not forwarded")
        return bad

    def record(self, recorded: list[Recorded]) -> None:
        """Hops Lamina recorded itself (``observe.tracing``): valid by construction."""
        self.store.put_recorded(recorded, self.clock.wall())

    def datagram(self, data: bytes) -> None:
        """One UDP datagram from an X-Ray SDK: a JSON header line, then a segment."""
        header, _, body = data.partition(b"\n")
        try:
            meta = fastjson.loads(header)
        except ValueError:
            meta = None
        if not isinstance(meta, dict) or meta.get("format") != "json" or not body:
            log.warning("X-Ray daemon: a datagram without the JSON header was dropped")
            return
        for failed in self.receive([body.decode("utf-8", "replace")]):
            log.warning("X-Ray daemon: segment dropped: %s", failed["Message"])

    def recent(self, limit: int) -> list[Params]:
        """The latest traces, newest first, each as ``GetTraceSummaries`` summarises it plus
        its number of segments (the console's traces panel)."""
        found = []
        for trace_id in self.store.recent_ids(limit):
            segments = self.store.segments(trace_id)
            if segments:
                found.append({**_summary(trace_id, segments), "SegmentCount": len(segments)})
        return found

    def put_trace_segments(self, params: Params) -> Params:
        return {"UnprocessedTraceSegments": self.receive(list(params["TraceSegmentDocuments"]))}

    # -- reading -------------------------------------------------------------------------------

    def get_trace_summaries(self, params: Params) -> Params:
        if params.get("FilterExpression"):
            raise InvalidRequestException(
                "Lamina does not evaluate X-Ray filter expressions yet: "
                f"{params['FilterExpression']}"
            )
        start = params["StartTime"].timestamp()
        end = params["EndTime"].timestamp()
        if end < start:
            raise InvalidRequestException("StartTime must be before EndTime.")
        if end - start > _MAX_RANGE_S:
            raise InvalidRequestException("Time range must be less than 24 hours.")
        ids = self.store.trace_ids(start, end)
        page, token = paginate(ids, params.get("NextToken"), None, 100)
        summaries = [_summary(trace_id, self.store.segments(trace_id)) for trace_id in page]
        answer: Params = {
            "TraceSummaries": summaries,
            "ApproximateTime": self.clock.wall(),
            "TracesProcessedCount": len(ids),
        }
        if token:
            answer["NextToken"] = token
        return answer

    def batch_get_traces(self, params: Params) -> Params:
        traces, missing = [], []
        for trace_id in params["TraceIds"]:
            segments = self.store.segments(str(trace_id))
            if not segments:
                missing.append(trace_id)
                continue
            traces.append(
                {
                    "Id": trace_id,
                    "Duration": _duration(segments),
                    "LimitExceeded": False,
                    "Segments": [
                        {"Id": s["id"], "Document": fastjson.dumps_text(s)} for s in segments
                    ],
                }
            )
        return {"Traces": traces, "UnprocessedTraceIds": missing}


def _invalid(segment: Any) -> str | None:
    if not isinstance(segment, dict):
        return "A segment is a JSON object"
    if not isinstance(segment.get("trace_id"), str) or not _TRACE_ID.match(segment["trace_id"]):
        return "Invalid trace_id"
    if not isinstance(segment.get("id"), str) or not _SEGMENT_ID.match(segment["id"]):
        return "Invalid segment id"
    if not isinstance(segment.get("name"), str) or not segment["name"]:
        return "Missing name"
    if not isinstance(segment.get("start_time"), int | float):
        return "Missing start_time"
    if segment.get("end_time") is None and not segment.get("in_progress"):
        return "Missing end_time (or in_progress)"
    return None


def _walk(segment: Params) -> list[Params]:
    """A segment and every subsegment below it."""
    found = [segment]
    for sub in segment.get("subsegments") or []:
        if isinstance(sub, dict):
            found += _walk(sub)
    return found


def _duration(segments: list[Params]) -> float:
    starts = [float(s["start_time"]) for s in segments]
    ends = [float(s["end_time"]) for s in segments if s.get("end_time") is not None]
    return round(max(ends) - min(starts), 3) if ends else 0.0


def _summary(trace_id: str, segments: list[Params]) -> Params:
    everything = [n for s in segments for n in _walk(s)]
    roots = [s for s in segments if not s.get("parent_id")] or segments
    entry = min(roots, key=lambda s: float(s["start_time"]))
    annotations: dict[str, list[Params]] = {}
    users: set[str] = set()
    for node in everything:
        for key, value in (node.get("annotations") or {}).items():
            annotations.setdefault(key, []).append({"AnnotationValue": _annotation(value)})
        if node.get("user"):
            users.add(str(node["user"]))
    http = entry.get("http") or {}
    request, response = http.get("request") or {}, http.get("response") or {}
    summary: Params = {
        "Id": trace_id,
        "StartTime": float(entry["start_time"]),
        "Duration": _duration(segments),
        "ResponseTime": (
            round(float(entry["end_time"]) - float(entry["start_time"]), 3)
            if entry.get("end_time") is not None
            else 0.0
        ),
        "HasFault": any(bool(n.get("fault")) for n in everything),
        "HasError": any(bool(n.get("error")) for n in everything),
        "HasThrottle": any(bool(n.get("throttle")) for n in everything),
        "IsPartial": any(bool(s.get("in_progress")) for s in segments),
        "Annotations": annotations,
        "Users": [{"UserName": u} for u in sorted(users)],
        "ServiceIds": _services(segments),
        "ResourceARNs": sorted({str(s["resource_arn"]) for s in segments if s.get("resource_arn")}),
        "EntryPoint": _service_id(entry),
    }
    if request or response:
        summary["Http"] = {
            k: v
            for k, v in {
                "HttpURL": request.get("url"),
                "HttpStatus": response.get("status"),
                "HttpMethod": request.get("method"),
                "UserAgent": request.get("user_agent"),
                "ClientIp": request.get("client_ip"),
            }.items()
            if v is not None
        }
    summary["ResourceARNs"] = [{"ARN": arn} for arn in summary["ResourceARNs"]]
    return summary


def _annotation(value: Any) -> Params:
    if isinstance(value, bool):
        return {"BooleanValue": value}
    if isinstance(value, int | float):
        return {"NumberValue": value}
    return {"StringValue": str(value)}


def _service_id(segment: Params) -> Params:
    found: Params = {"Name": segment["name"], "Names": [segment["name"]]}
    if segment.get("origin"):
        found["Type"] = segment["origin"]
    return found


def _services(segments: list[Params]) -> list[Params]:
    seen: dict[tuple[str, str | None], Params] = {}
    for segment in segments:
        seen.setdefault((segment["name"], segment.get("origin")), _service_id(segment))
    return list(seen.values())


class XRayService(ModelService):
    def __init__(self, state_dir: Path, clock: Clock = SYSTEM) -> None:
        self.traces = Traces(Store(state_dir / DATABASE), clock)
        super().__init__("xray", self.traces.operations())

    def receive_datagram(self, data: bytes) -> None:
        """A datagram from the daemon's port (on the event loop): stored on a worker thread."""
        asyncio.get_running_loop().run_in_executor(None, self.traces.datagram, data)

    async def close(self) -> None:
        self.traces.store.close()


class Daemon(asyncio.DatagramProtocol):
    """The X-Ray daemon's UDP port: every datagram goes to ``sink`` (set once the service
    exists; earlier ones are dropped: no function runs before it)."""

    def __init__(self) -> None:
        self.sink: Callable[[bytes], None] | None = None

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        if self.sink is not None:
            self.sink(data)
