"""Event source mappings: what makes Lambda poll a stream or a queue and invoke a function.

``EventSourceMapping`` is the template's ``AWS::Lambda::EventSourceMapping`` (SAM's
``DynamoDB``, ``SQS`` and ``Kinesis`` events become one) with AWS's defaults filled in, so a
poller reads no template and no defaults of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from lamina.model import arns

# AWS's defaults by source (BatchSize) and for streams.
DEFAULT_BATCH = {"sqs": 10, "dynamodb": 100, "kinesis": 100}
MAX_BATCH = {"sqs": 10_000, "dynamodb": 10_000, "kinesis": 10_000}
REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"


@dataclass(frozen=True, slots=True)
class EventSourceMapping:
    uuid: str
    # The function's physical name, and a version or alias when FunctionName names one.
    function: str
    qualifier: str | None
    source_arn: str
    batch_size: int
    batching_window_s: float = 0.0
    # Streams: TRIM_HORIZON, LATEST or AT_TIMESTAMP (with ``starting_timestamp``).
    starting_position: str | None = None
    starting_timestamp: float | None = None
    enabled: bool = True
    # FilterCriteria's patterns, as the user wrote them (JSON text each).
    filters: tuple[str, ...] = ()
    report_item_failures: bool = False
    bisect_on_error: bool = False
    # -1: until the record expires (streams' default).
    maximum_retry_attempts: int = -1
    maximum_record_age_s: int = -1
    on_failure: str | None = None
    parallelization_factor: int = 1
    # Streams: seconds of each tumbling window (0: none); the function carries a state across it.
    tumbling_window_s: int = 0
    maximum_concurrency: int | None = None
    # The template's logical id (None for mappings made through the Lambda API).
    logical_id: str | None = None

    @property
    def source(self) -> str:
        """``dynamodb``, ``sqs``, ``kinesis``... from the source ARN."""
        return arns.service_of(self.source_arn)

    def describe(self) -> str:
        return f"{self.source_arn.rsplit(':', 1)[-1]} -> {self.function}"
