"""X-Ray segments sent on as OpenTelemetry spans to a user's collector (OTLP over HTTP).

``OtlpExport(endpoint)`` takes segment documents (and its ``recorded`` is a tracing sink,
``observe.tracing.Sink``, drawing Lamina's recorded hops first): each segment and each
subsegment in it becomes one span, its X-Ray ids kept (the trace id ``1-5f84c7a0-<24 hex>`` is
the 128-bit ``5f84c7a0<24 hex>``, as AWS's X-Ray propagator maps it; segment ids are span ids)
so the spans of a request chain by their parents as the segments do. Spans go through the
SDK's ``BatchSpanProcessor`` to its OTLP/HTTP exporter, whose own thread sends them: nothing
here touches the network on the caller's thread. ``endpoint`` is the collector's base URL
(``OTEL_EXPORTER_OTLP_ENDPOINT``'s meaning): spans are posted to ``<endpoint>/v1/traces``.
``close`` sends what waits and stops the exporter.

The SDK is an optional extra (``pip install 'lamina[otlp]'``), imported only when an endpoint
is set: ``OtlpExport`` raises ``LaminaError`` saying so when it is missing.
"""

from __future__ import annotations

import threading
from typing import Any

from lamina.errors import LaminaError
from lamina.observe.tracing import Recorded, Segment, documents

_NS = 1_000_000_000


class OtlpExport:
    def __init__(self, endpoint: str, service_name: str = "lamina") -> None:
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
        except ImportError as exc:
            raise LaminaError(
                "OTLP export needs OpenTelemetry's SDK: pip install 'lamina[otlp]'"
            ) from exc
        self.endpoint = f"{endpoint.rstrip('/')}/v1/traces"
        self._ids = _GivenIds()
        self._provider = TracerProvider(
            resource=Resource.create({"service.name": service_name}),
            id_generator=self._ids.generator(),
            shutdown_on_exit=False,
        )
        self._provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=self.endpoint), schedule_delay_millis=500)
        )
        self._tracer = self._provider.get_tracer("lamina.xray")
        # The id generator hands out the ids set just before each span: one span at a time.
        self._lock = threading.Lock()

    def __call__(self, segments: list[Segment]) -> None:
        with self._lock:
            for segment in segments:
                trace_id = _trace_id(str(segment["trace_id"]))
                if trace_id is None:
                    continue
                self._span(segment, trace_id, segment.get("parent_id"), top=True)

    def recorded(self, recorded: list[Recorded]) -> None:
        """Hops Lamina recorded itself (a ``Tracing`` sink): drawn, then sent."""
        self(documents(recorded))

    def close(self) -> None:
        self._provider.shutdown()

    def _span(self, node: Segment, trace_id: int, parent: str | None, top: bool) -> None:
        from opentelemetry import trace
        from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags
        from opentelemetry.trace.status import Status, StatusCode

        context = None
        if parent:
            context = trace.set_span_in_context(
                NonRecordingSpan(
                    SpanContext(trace_id, int(parent, 16), True, TraceFlags(TraceFlags.SAMPLED))
                )
            )
        self._ids.trace_id, self._ids.span_id = trace_id, int(str(node["id"]), 16)
        kind = SpanKind.SERVER if top else SpanKind.INTERNAL
        if node.get("namespace") in ("aws", "remote"):
            kind = SpanKind.CLIENT
        span = self._tracer.start_span(
            str(node["name"]),
            context=context,
            kind=kind,
            attributes=_attributes(node),
            start_time=int(float(node["start_time"]) * _NS),
        )
        if node.get("fault") or node.get("error"):
            span.set_status(Status(StatusCode.ERROR))
        end = node.get("end_time")
        span.end(int(float(end) * _NS) if end is not None else None)
        for sub in node.get("subsegments") or ():
            if isinstance(sub, dict) and sub.get("id") and sub.get("start_time") is not None:
                self._span(sub, trace_id, str(node["id"]), top=False)


class _GivenIds:
    """The ids of the next span: the segment's own (an SDK tracer would draw random ones)."""

    def __init__(self) -> None:
        self.trace_id = 0
        self.span_id = 0

    def generator(self) -> Any:
        from opentelemetry.sdk.trace.id_generator import IdGenerator

        given = self

        class Given(IdGenerator):
            def generate_span_id(self) -> int:
                return given.span_id

            def generate_trace_id(self) -> int:
                return given.trace_id

        return Given()


def _trace_id(xray: str) -> int | None:
    """``1-5f84c7a0-abcdef0123456789abcdef01`` as OpenTelemetry's 128-bit trace id."""
    parts = xray.split("-")
    if len(parts) != 3 or len(parts[1]) != 8 or len(parts[2]) != 24:
        return None
    try:
        return int(parts[1] + parts[2], 16)
    except ValueError:
        return None


def _attributes(node: Segment) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if node.get("origin"):
        found["aws.xray.origin"] = str(node["origin"])
    if node.get("resource_arn"):
        found["cloud.resource_id"] = str(node["resource_arn"])
    http = node.get("http") or {}
    request, response = http.get("request") or {}, http.get("response") or {}
    if request.get("method"):
        found["http.request.method"] = str(request["method"])
    if request.get("url"):
        found["url.full"] = str(request["url"])
    if response.get("status") is not None:
        found["http.response.status_code"] = int(response["status"])
    if str(node.get("origin", "")).startswith("AWS::Lambda"):
        found["cloud.provider"] = "aws"
        found["faas.name"] = str(node["name"])
    aws = node.get("aws") or {}
    if aws.get("request_id"):
        found["faas.invocation_id"] = str(aws["request_id"])
    for key, value in (node.get("annotations") or {}).items():
        if isinstance(value, str | bool | int | float):
            found[f"aws.xray.annotations.{key}"] = value
    return found
