"""Immutable specs: what the template asked for, with every intrinsic function already resolved."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from lamina.model.apis import Api, ApiKey, UsagePlan
from lamina.model.buckets import BucketSpec
from lamina.model.configs import ParameterSpec, SecretSpec
from lamina.model.lambdas import EventInvokeConfig
from lamina.model.mappings import EventSourceMapping
from lamina.model.pipes import PipeSpec
from lamina.model.queues import QueuePolicySpec, QueueSpec
from lamina.model.schedules import EventBridgeSpecs, EventRuleSpec, ScheduleSpec
from lamina.model.statemachines import ActivitySpec, StateMachineSpec
from lamina.model.streams import DeliveryStreamSpec, StreamSpec
from lamina.model.tables import TableSpec
from lamina.model.topics import SubscriptionSpec, TopicSpec


def _frozen(mapping: Mapping[str, str] | None = None) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, slots=True)
class LoggingSpec:
    """``LoggingConfig`` of a function. ``log_format`` is ``Text`` or ``JSON``."""

    log_format: str = "Text"
    application_log_level: str | None = None
    system_log_level: str | None = None
    log_group: str | None = None


@dataclass(frozen=True, slots=True)
class LayerSpec:
    logical_id: str
    name: str
    arn: str
    # The directory that becomes /opt on Lambda: its python/ (and python/lib/pythonX.Y/
    # site-packages/) subdirectories go on sys.path.
    content_dir: Path
    compatible_runtimes: tuple[str, ...] = ()
    # A pip requirement the build step installs as the layer's python/ directory (a public
    # layer Lamina provides from PyPI; see template/public_layers.py), None for local content.
    requirement: str | None = None
    # Glob patterns removed from that python/ directory after the install (what the runtime
    # already provides, as the published layer leaves it out).
    requirement_excludes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    logical_id: str
    name: str
    arn: str
    handler: str
    runtime: str
    # Directory holding the code (CodeUri); for InlineCode the build step writes one.
    code_dir: Path | None = None
    inline_code: str | None = None
    memory_mb: int = 128
    timeout_s: float = 3.0
    environment: Mapping[str, str] = field(default_factory=_frozen)
    layers: tuple[LayerSpec, ...] = ()
    reserved_concurrency: int | None = None
    provisioned_concurrency: int = 0
    auto_publish_alias: str | None = None
    logging: LoggingSpec = field(default_factory=LoggingSpec)
    ephemeral_storage_mb: int = 512
    architectures: tuple[str, ...] = ("x86_64",)
    description: str = ""
    # Where the build step installed requirements.txt (None when there is none).
    dependencies_dir: Path | None = None
    # "$LATEST", or the number of the published version this spec is an immutable snapshot of.
    version: str = "$LATEST"
    # DeadLetterConfig.TargetArn: the queue or topic that gets events whose async processing failed.
    dead_letter_target: str | None = None
    # EventInvokeConfig of the template (one per qualifier: $LATEST or the AutoPublishAlias).
    event_invoke: tuple[EventInvokeConfig, ...] = ()
    # TracingConfig.Mode Active: Lambda samples and traces invocations no caller traced.
    tracing_active: bool = False

    @property
    def log_group(self) -> str:
        return self.logging.log_group or f"/aws/lambda/{self.name}"

    @property
    def is_python(self) -> bool:
        return self.runtime.startswith("python")


@dataclass(frozen=True, slots=True)
class UnsupportedResource:
    """A resource the template declares that Lamina does not run (yet)."""

    logical_id: str
    type: str
    note: str = "not supported yet"

    def describe(self) -> str:
        return f"{self.logical_id} ({self.type}): {self.note}"


@dataclass(frozen=True, slots=True)
class StackOutput:
    key: str
    value: str
    description: str | None = None
    export_name: str | None = None


@dataclass(frozen=True, slots=True)
class StackResource:
    """A resource as CloudFormation lists it: the physical id is what ``!Ref`` gives."""

    logical_id: str
    type: str
    physical_id: str


@dataclass(frozen=True, slots=True)
class Stack:
    """Everything one template deploys."""

    name: str
    template_path: Path
    region: str
    account_id: str
    functions: Mapping[str, FunctionSpec] = field(default_factory=lambda: MappingProxyType({}))
    layers: Mapping[str, LayerSpec] = field(default_factory=lambda: MappingProxyType({}))
    # DynamoDB tables by logical id.
    tables: Mapping[str, TableSpec] = field(default_factory=lambda: MappingProxyType({}))
    # SQS queues by logical id, and the queue policies applied to them.
    queues: Mapping[str, QueueSpec] = field(default_factory=lambda: MappingProxyType({}))
    queue_policies: tuple[QueuePolicySpec, ...] = ()
    # SNS topics by logical id, and every subscription (inline, resources, SAM SNS events).
    topics: Mapping[str, TopicSpec] = field(default_factory=lambda: MappingProxyType({}))
    subscriptions: tuple[SubscriptionSpec, ...] = ()
    # Kinesis data streams by logical id.
    streams: Mapping[str, StreamSpec] = field(default_factory=lambda: MappingProxyType({}))
    # Firehose delivery streams by logical id.
    delivery_streams: Mapping[str, DeliveryStreamSpec] = field(
        default_factory=lambda: MappingProxyType({})
    )
    # S3 buckets by logical id.
    buckets: Mapping[str, BucketSpec] = field(default_factory=lambda: MappingProxyType({}))
    # Step Functions state machines and activities by logical id.
    state_machines: Mapping[str, StateMachineSpec] = field(
        default_factory=lambda: MappingProxyType({})
    )
    activities: Mapping[str, ActivitySpec] = field(default_factory=lambda: MappingProxyType({}))
    unsupported: tuple[UnsupportedResource, ...] = ()
    warnings: tuple[str, ...] = ()
    # REST APIs, HTTP APIs and Function URLs, in template order.
    apis: tuple[Api, ...] = ()
    # API Gateway's API keys and the usage plans that admit them.
    api_keys: tuple[ApiKey, ...] = ()
    usage_plans: tuple[UsagePlan, ...] = ()
    # Event source mappings Lamina polls.
    mappings: tuple[EventSourceMapping, ...] = ()
    # EventBridge rules' and Scheduler's schedules.
    schedules: tuple[ScheduleSpec, ...] = ()
    # EventBridge rules with event patterns.
    event_rules: tuple[EventRuleSpec, ...] = ()
    # Buses, archives, connections and API destinations.
    eventbridge: EventBridgeSpecs = field(default_factory=EventBridgeSpecs)
    # SSM parameters and Secrets Manager secrets the template stores.
    ssm_parameters: tuple[ParameterSpec, ...] = ()
    secrets: tuple[SecretSpec, ...] = ()
    # EventBridge Pipes, in template order.
    pipes: tuple[PipeSpec, ...] = ()
    # What CloudFormation would say of the stack: its description, parameter values (NoEcho
    # ones masked), outputs resolved, and every resource after SAM's expansion.
    description: str | None = None
    parameters: tuple[tuple[str, str], ...] = ()
    outputs: tuple[StackOutput, ...] = ()
    resources: tuple[StackResource, ...] = ()

    def find_function(self, name: str) -> FunctionSpec | None:
        """By logical id, physical name or ARN, as ``lamina invoke`` and the Lambda API accept."""
        if name in self.functions:
            return self.functions[name]
        for spec in self.functions.values():
            if name in (spec.name, spec.arn):
                return spec
        return None

    def unsupported_warning(self) -> str | None:
        """One warning naming every resource Lamina will not run, or None when there is none."""
        if not self.unsupported:
            return None
        lines = [f"Lamina does not run {len(self.unsupported)} resource(s) of this template yet:"]
        lines += [f"  - {r.describe()}" for r in self.unsupported]
        return "\n".join(lines)
