"""SQS queues a template declares (``AWS::SQS::Queue``) and their policies
(``AWS::SQS::QueuePolicy``), with every intrinsic function resolved."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


def _frozen() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class QueueSpec:
    logical_id: str
    # The physical name (``QueueName``, else ``{stack}-{LogicalId}-{SUFFIX}``, ``.fifo`` kept).
    name: str
    # Queue attributes as SQS's CreateQueue takes them (strings; policies as JSON text).
    attributes: Mapping[str, str] = field(default_factory=_frozen)
    tags: Mapping[str, str] = field(default_factory=_frozen)

    @property
    def fifo(self) -> bool:
        return self.name.endswith(".fifo")


@dataclass(frozen=True, slots=True)
class QueuePolicySpec:
    """A policy document (JSON text) applied as the ``Policy`` attribute of each queue URL."""

    logical_id: str
    queue_urls: tuple[str, ...]
    document: str
