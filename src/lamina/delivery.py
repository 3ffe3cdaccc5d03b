"""Delivery between services: one service hands a message to another by the target's ARN.

Services never import each other. SNS delivers to a queue or a function, an asynchronous
invocation's destination is a queue or a topic, an EventBridge rule targets any of them: each
sender holds the one ``Deliveries`` the composition root built, and each service that can
receive registers a ``Target`` under its ARN's service name (``sqs``, ``sns``, ``lambda``...).

A target raises ``DeliveryError`` when the message is not delivered (no such queue, a message
the queue refuses); the sender decides what that means (SNS retries and dead-letters, an async
invocation logs and drops). A delivery that returns is durable: the target wrote it first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from lamina.model import arns

_NONE: Mapping[str, Attribute] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Attribute:
    """A message attribute as SQS and SNS carry it (``DataType`` may have a custom suffix,
    ``Number.float``); exactly one of the values is set."""

    data_type: str
    string_value: str | None = None
    binary_value: bytes | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """What is delivered: a body and what travels with it."""

    body: str
    attributes: Mapping[str, Attribute] = field(default_factory=lambda: _NONE)
    # FIFO targets: the group and the deduplication id the sender chose.
    group_id: str | None = None
    deduplication_id: str | None = None
    # The X-Ray trace header (SQS's AWSTraceHeader system attribute).
    trace_header: str | None = None
    # Who sends: a topic, a rule, a function (queues record it, Lambda events name it).
    source_arn: str | None = None


class DeliveryError(Exception):
    """Not delivered; ``str()`` says why, worded for a log line."""


class Target(Protocol):
    async def deliver(self, arn: str, message: Message) -> None:
        """Store ``message`` for ``arn`` durably, or raise ``DeliveryError``."""
        ...


class Deliveries:
    """The receivers, by the service name in their ARNs."""

    def __init__(self) -> None:
        self._targets: dict[str, Target] = {}

    def serve(self, service: str, target: Target) -> None:
        self._targets[service] = target

    def serves(self, arn: str) -> bool:
        return arns.service_of(arn) in self._targets

    async def deliver(self, arn: str, message: Message) -> None:
        service = arns.service_of(arn)
        target = self._targets.get(service)
        if target is None:
            what = f"{service} targets" if service else "anything but ARNs"
            raise DeliveryError(f"Lamina does not deliver to {what} yet: {arn}")
        await target.deliver(arn, message)
