"""Delivery targets the composition root builds from the engine, and the bridge that sends
asynchronous invocations' destinations through ``Deliveries``.

``FunctionTarget`` is the ``lambda`` target: a message for ``arn:aws:lambda:...`` becomes an
asynchronous (``Event``) invocation of that function with the message body as its payload. The
engine commits the event to its durable queue before ``invoke`` returns, so a delivery that
returns is durable; a function that does not exist (or a payload Lambda refuses) is a
``DeliveryError``, which the sender retries and dead-letters.

``DestinationBridge`` is a ``DestinationSink`` for ``engine.add_destination``: an invocation
record for a topic (or any ARN ``Deliveries`` serves) is delivered as a message whose body is
the record.
"""

from __future__ import annotations

from collections.abc import Mapping

from lamina.delivery import Deliveries, DeliveryError, Message
from lamina.engine.api import InvocationType, Invoker, InvokeRequest
from lamina.errors import AwsError


class FunctionTarget:
    def __init__(self, invoker: Invoker) -> None:
        self.invoker = invoker

    async def deliver(self, arn: str, message: Message) -> None:
        request = InvokeRequest(
            function=arn,
            payload=message.body.encode(),
            invocation_type=InvocationType.EVENT,
            trace_id=message.trace_header,
        )
        try:
            await self.invoker.invoke(request)
        except AwsError as exc:
            raise DeliveryError(f"{exc.code}: {exc.message}") from exc


class DestinationBridge:
    def __init__(self, deliveries: Deliveries) -> None:
        self.deliveries = deliveries

    async def send(self, arn: str, body: bytes, attributes: Mapping[str, str]) -> None:
        await self.deliveries.deliver(arn, Message(body.decode(), source_arn=None))
