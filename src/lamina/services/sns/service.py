"""Amazon SNS on the AWS endpoint (``lamina.services.api.Service``), in the query protocol
botocore's ``sns`` model describes.

Lifecycle: built with the state directory (``sns.sqlite3`` there) and the ``Deliveries`` the
composition root made; ``deploy(stack)`` creates the template's topics and subscriptions (never
deleting what clients made) and starts the courier; ``handle`` answers requests; ``close()``
stops the courier (undelivered rows stay in the outbox for the next start) and the database.
It is also the ``sns`` delivery target (``deliver(topic_arn, message)`` publishes) and the
engine's sink for asynchronous invocations' destinations that are topics (``send``).

``routes()`` are the two links SNS hands out without a signature, served under
``/_lamina/sns/``: a subscription's ``SubscribeURL`` (its token is the credential, as on AWS)
and a notification's ``UnsubscribeURL``.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from lamina import ids
from lamina.clock import SYSTEM, Clock
from lamina.delivery import Deliveries, DeliveryError, Message
from lamina.errors import AwsError
from lamina.model.specs import Stack
from lamina.net.messages import Request, Response
from lamina.services.protocols.service import Call, ModelService
from lamina.services.protocols.wire import QUERY
from lamina.services.sns import deployment, retries
from lamina.services.sns.courier import Courier
from lamina.services.sns.operations import Sns
from lamina.services.sns.store import Store

log = logging.getLogger("lamina.sns")
DATABASE = "sns.sqlite3"
CONFIRM_PATH = "/_lamina/sns/confirm"
UNSUBSCRIBE_PATH = "/_lamina/sns/unsubscribe"
Route = Callable[[Request], Awaitable[Response]]


class SnsService:
    name = "sns"

    def __init__(
        self,
        state_dir: Path,
        deliveries: Deliveries,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        endpoint_url: str | None = None,
        clock: Clock | None = None,
        managed_delays: tuple[float, ...] = retries.MANAGED,
    ) -> None:
        self.clock = clock or SYSTEM
        # Where the links SNS hands out point: the endpoint as functions and the host reach it.
        self.endpoint_url = (endpoint_url or "http://127.0.0.1:4566").rstrip("/")
        self.store = Store(state_dir / DATABASE)
        self.courier = Courier(
            self.store,
            deliveries,
            self.clock,
            region,
            self.unsubscribe_url,
            managed_delays=managed_delays,
        )
        self.sns = Sns(
            self.store, self.clock, region, account_id, self.courier.wake, self.confirm_url
        )
        self.protocol = ModelService("sns", self.sns.operations())
        # A request with an X-Amzn-Trace-Id: Publish hands it to every subscriber's delivery.
        publisher = self.sns.publisher
        self._traced = ModelService(
            "sns",
            {
                "Publish": lambda params, call: publisher.publish(params, _trace(call)),
                "PublishBatch": lambda params, call: publisher.publish_batch(params, _trace(call)),
            },
            calls=True,
        )

    # -- Service ----------------------------------------------------------------------------

    async def deploy(self, stack: Stack) -> None:
        await asyncio.get_running_loop().run_in_executor(None, deployment.deploy, self.sns, stack)
        self.courier.start()
        self.courier.wake()

    def matches(self, request: Request) -> bool:
        return self.protocol.matches(request)

    async def handle(self, request: Request) -> Response:
        if request.header("x-amzn-trace-id") is not None:
            protocol, name = self.protocol.spoken(request)
            if name in self._traced.handlers:
                return await self._traced.answer(request, protocol, name)
        return await self.protocol.handle(request)

    async def close(self) -> None:
        await self.courier.close()
        self.store.close()

    # -- the ``sns`` delivery target (lamina.delivery.Target) and async destination ---------

    async def send(self, arn: str, body: bytes, attributes: Mapping[str, str]) -> None:
        """An asynchronous invocation's record for the topic ``arn`` (``DestinationSink``)."""
        await self.deliver(arn, Message(body.decode()))

    async def deliver(self, arn: str, message: Message) -> None:
        """Publish ``message`` to the topic ``arn`` (an async invocation's destination, a rule's
        target), committed to the outbox before returning."""
        params: dict[str, Any] = {
            "TopicArn": arn,
            "Message": message.body,
            "MessageAttributes": {
                name: (
                    {"DataType": a.data_type, "BinaryValue": a.binary_value}
                    if a.binary_value is not None
                    else {"DataType": a.data_type, "StringValue": a.string_value}
                )
                for name, a in message.attributes.items()
            },
        }
        if message.group_id is not None:
            params["MessageGroupId"] = message.group_id
        if message.deduplication_id is not None:
            params["MessageDeduplicationId"] = message.deduplication_id
        loop = asyncio.get_running_loop()
        publish = self.sns.publisher.publish
        try:
            await loop.run_in_executor(None, publish, params, message.trace_header)
        except AwsError as exc:
            raise DeliveryError(f"{exc.code}: {exc.message}") from exc

    # -- the links it hands out -------------------------------------------------------------

    def confirm_url(self, topic_arn: str, token: str) -> str:
        query = urllib.parse.urlencode(
            {"Action": "ConfirmSubscription", "TopicArn": topic_arn, "Token": token}
        )
        return f"{self.endpoint_url}{CONFIRM_PATH}?{query}"

    def unsubscribe_url(self, subscription_arn: str) -> str:
        query = urllib.parse.urlencode(
            {"Action": "Unsubscribe", "SubscriptionArn": subscription_arn}
        )
        return f"{self.endpoint_url}{UNSUBSCRIBE_PATH}?{query}"

    def routes(self) -> dict[str, Route]:
        return {CONFIRM_PATH: self._confirm_link, UNSUBSCRIBE_PATH: self._unsubscribe_link}

    async def _confirm_link(self, request: Request) -> Response:
        fields = dict(urllib.parse.parse_qsl(request.query))
        return await self._link(
            "ConfirmSubscription",
            {"TopicArn": fields.get("TopicArn", ""), "Token": fields.get("Token", "")},
        )

    async def _unsubscribe_link(self, request: Request) -> Response:
        fields = dict(urllib.parse.parse_qsl(request.query))
        return await self._link(
            "Unsubscribe", {"SubscriptionArn": fields.get("SubscriptionArn", "")}
        )

    async def _link(self, name: str, params: dict[str, str]) -> Response:
        """Answer a link as SNS does: the operation's XML response, or its XML error."""
        operation = self.protocol.model.operation(name)
        assert operation is not None
        request_id = ids.request_id()
        handler = self.protocol.handlers[name]
        try:
            result = await asyncio.get_running_loop().run_in_executor(None, handler, params)
        except AwsError as exc:
            return self.protocol.error(exc, QUERY, request_id)
        return self.protocol.serialise(result, QUERY, operation, request_id)


def _trace(call: Call) -> str | None:
    return call.request.header("x-amzn-trace-id")
