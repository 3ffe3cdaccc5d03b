"""Functions as a delivery target: a message for ``arn:aws:lambda:...:function:NAME[:QUALIFIER]``
is an asynchronous (``Event``) invocation, queued durably by the engine before ``deliver``
returns, retried and sent on to its destinations as Lambda does for SNS, EventBridge and
Scheduler."""

from __future__ import annotations

from lamina.delivery import DeliveryError, Message
from lamina.engine.api import InvocationType, Invoker, InvokeRequest
from lamina.errors import AwsError
from lamina.model import arns


class LambdaTarget:
    def __init__(self, invoker: Invoker) -> None:
        self._invoker = invoker

    async def deliver(self, arn: str, message: Message) -> None:
        name, qualifier = arns.split_function(arn)
        request = InvokeRequest(
            function=name,
            payload=message.body.encode(),
            invocation_type=InvocationType.EVENT,
            qualifier=qualifier,
            trace_id=message.trace_header,
        )
        try:
            await self._invoker.invoke(request)
        except AwsError as exc:
            raise DeliveryError(f"{arn}: {exc.code}: {exc.message}") from None
