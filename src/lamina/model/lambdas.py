"""What the Lambda API adds to a function: versions, aliases, concurrency, async configuration.

A ``LambdaFunction`` is everything the engine needs to run one function under any qualifier:
``$LATEST``, its published versions (immutable ``FunctionSpec`` snapshots whose ``version`` is
``"1"``, ``"2"`` ...), and aliases that point at a version, optionally sending a share of the
invocations to a second one (weighted routing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # specs imports this module for EventInvokeConfig: no cycle at run time
    from lamina.model.specs import FunctionSpec, Stack

LATEST = "$LATEST"
# Lambda's defaults for asynchronous invocation.
DEFAULT_RETRY_ATTEMPTS = 2
DEFAULT_EVENT_AGE_S = 21600


def _empty() -> Mapping[str, object]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class EventInvokeConfig:
    """``PutFunctionEventInvokeConfig`` / ``AWS::Lambda::EventInvokeConfig`` for one qualifier.

    ``on_success``/``on_failure`` are destination ARNs (a function, queue, topic or bus).
    """

    maximum_retry_attempts: int = DEFAULT_RETRY_ATTEMPTS
    maximum_event_age_s: int = DEFAULT_EVENT_AGE_S
    on_success: str | None = None
    on_failure: str | None = None
    qualifier: str = LATEST


@dataclass(frozen=True, slots=True)
class AliasSpec:
    """An alias: ``function_version`` gets every invocation the extra ``weights`` do not take
    (each weight is a share between 0 and 1 for one other version)."""

    name: str
    function_version: str
    weights: Mapping[str, float] = field(default_factory=_empty)  # type: ignore[arg-type]
    description: str = ""


@dataclass(frozen=True, slots=True)
class LambdaFunction:
    """One function as the engine runs it. ``reserved_concurrency`` applies to every version;
    ``provisioned`` and ``event_invoke`` are keyed by qualifier (a version or an alias)."""

    latest: FunctionSpec
    versions: Mapping[str, FunctionSpec] = field(default_factory=_empty)  # type: ignore[arg-type]
    aliases: Mapping[str, AliasSpec] = field(default_factory=_empty)  # type: ignore[arg-type]
    reserved_concurrency: int | None = None
    provisioned: Mapping[str, int] = field(default_factory=_empty)  # type: ignore[arg-type]
    event_invoke: Mapping[str, EventInvokeConfig] = field(default_factory=_empty)  # type: ignore[arg-type]

    @property
    def name(self) -> str:
        return self.latest.name

    @classmethod
    def of(cls, spec: FunctionSpec) -> LambdaFunction:
        """A function as its template declares it: $LATEST only, its AutoPublishAlias (until
        versions are published) pointing at $LATEST."""
        aliases = {}
        if spec.auto_publish_alias:
            aliases[spec.auto_publish_alias] = AliasSpec(spec.auto_publish_alias, LATEST)
        provisioned = {}
        if spec.provisioned_concurrency:
            provisioned[spec.auto_publish_alias or LATEST] = spec.provisioned_concurrency
        configs = {c.qualifier: c for c in spec.event_invoke}
        return cls(
            latest=spec,
            aliases=MappingProxyType(aliases),
            reserved_concurrency=spec.reserved_concurrency,
            provisioned=MappingProxyType(provisioned),
            event_invoke=MappingProxyType(configs),
        )


def template_functions(stack: Stack) -> dict[str, LambdaFunction]:
    """The template's projection: its functions by name, as the template alone declares them
    (what the engine runs when the Lambda API is not served here; otherwise the registry
    overlays its durable state on it)."""
    return {spec.name: LambdaFunction.of(spec) for spec in stack.functions.values()}
