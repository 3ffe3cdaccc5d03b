"""Deliveries: a message reaches the target registered for its ARN's service, or is refused."""

from __future__ import annotations

import asyncio

import pytest

from lamina.delivery import Deliveries, DeliveryError, Message


class _Inbox:
    def __init__(self) -> None:
        self.got: list[tuple[str, Message]] = []

    async def deliver(self, arn: str, message: Message) -> None:
        self.got.append((arn, message))


def test_a_message_reaches_the_target_of_its_arns_service() -> None:
    deliveries = Deliveries()
    inbox = _Inbox()
    deliveries.serve("sqs", inbox)
    arn = "arn:aws:sqs:us-east-1:123456789012:jobs"
    asyncio.run(deliveries.deliver(arn, Message("hello")))
    assert inbox.got == [(arn, Message("hello"))]
    assert deliveries.serves(arn)
    assert not deliveries.serves("arn:aws:sns:us-east-1:123456789012:t")


def test_an_unserved_service_is_refused_naming_it() -> None:
    deliveries = Deliveries()
    with pytest.raises(DeliveryError, match="sns targets yet: arn:aws:sns:us-east-1:1:t"):
        asyncio.run(deliveries.deliver("arn:aws:sns:us-east-1:1:t", Message("x")))
    with pytest.raises(DeliveryError, match="anything but ARNs"):
        asyncio.run(deliveries.deliver("not-an-arn", Message("x")))
