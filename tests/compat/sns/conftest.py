"""SNS served in-process on a real socket (``Served``), with queues of the test's own: a
``Target`` that keeps what it is given, standing in for SQS behind ``Deliveries``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lamina.delivery import Deliveries, DeliveryError, Message
from lamina.model.specs import Stack
from lamina.services.sns.service import SnsService
from tests.compat.protocols.served import Served

ACCOUNT = "123456789012"
REGION = "us-east-1"


class Queues:
    """An SQS stand-in: queues by ARN; a queue not created refuses delivery as SQS would."""

    def __init__(self) -> None:
        self.got: dict[str, list[Message]] = {}
        # Bodies refused the first time they arrive (a queue briefly failing).
        self.refuse_once: set[str] = set()

    def create(self, name: str) -> str:
        arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
        self.got[arn] = []
        return arn

    async def deliver(self, arn: str, message: Message) -> None:
        if arn not in self.got:
            raise DeliveryError(f"no queue {arn}")
        if message.body in self.refuse_once:
            self.refuse_once.discard(message.body)
            raise DeliveryError(f"{arn} refused {message.body} once")
        self.got[arn].append(message)

    def wait(self, arn: str, count: int = 1, timeout: float = 10.0) -> list[Message]:
        deadline = time.monotonic() + timeout
        while len(self.got[arn]) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return list(self.got[arn])


class Up:
    def __init__(self, served: Served, service: SnsService, queues: Queues) -> None:
        self.served = served
        self.service = service
        self.queues = queues
        self.sns = served.client("sns")

    def pending_after_settling(self, seconds: float = 5.0) -> int:
        """The outbox's row count once it empties or `seconds` pass: a delivery is done
        (its row deleted) a moment after its target already holds the message."""
        deadline = time.monotonic() + seconds
        while self.service.store.pending_count() and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.service.store.pending_count()


def start(state_dir: Path, queues: Queues, **options: object) -> tuple[Served, SnsService]:
    deliveries = Deliveries()
    deliveries.serve("sqs", queues)
    service = SnsService(
        state_dir,
        deliveries,
        REGION,
        ACCOUNT,
        managed_delays=(0.2, 0.05),
        **options,  # type: ignore[arg-type]
    )
    served = Served([service])
    served.endpoint.routes.update(service.routes())
    service.endpoint_url = served.url
    served.run(service.deploy(Stack("test", state_dir / "template.yaml", REGION, ACCOUNT)))
    return served, service


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Up]:
    queues = Queues()
    served, service = start(tmp_path, queues)
    yield Up(served, service, queues)
    served.close()


Factory = Callable[[], Up]
