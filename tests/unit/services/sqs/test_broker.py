"""The broker on a driven clock: retention, the deduplication window, visibility across a
reopened store, and the in-process API a poller uses (waiting for a message, receipt handles)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from lamina.services.sqs.broker import Broker, Place
from lamina.services.sqs.errors import ReceiptHandleIsInvalid
from lamina.services.sqs.outgoing import Outgoing
from lamina.services.sqs.receipts import parse as parse_handle
from lamina.services.sqs.store import Store


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def wall(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now


PLACE = Place("us-east-1", "123456789012", "http://localhost:4566")


def _broker(path: Path, clock: FakeClock) -> Broker:
    return Broker(Store(path / "sqs.sqlite3"), PLACE, clock)


def test_messages_past_retention_are_not_received_and_are_swept(tmp_path: Path) -> None:
    """A message older than MessageRetentionPeriod is never received, and expire() deletes it."""
    clock = FakeClock()
    broker = _broker(tmp_path, clock)
    queue = broker.create_queue("q", {"MessageRetentionPeriod": "60"})
    broker.send(queue, Outgoing(body="old"))
    clock.now += 61
    broker.send(queue, Outgoing(body="new"))
    assert [r.message.body for r in broker.receive_now(queue, 10)] == ["new"]
    broker.expire()
    assert broker.store.get(1) is None


def test_deduplication_lasts_five_minutes(tmp_path: Path) -> None:
    """The same deduplication id within 5 minutes answers the first message; after, a new one."""
    clock = FakeClock()
    broker = _broker(tmp_path, clock)
    queue = broker.create_queue("q.fifo", {"FifoQueue": "true"})
    message = Outgoing(body="x", group_id="g", deduplication_id="d")
    first = broker.send(queue, message)
    clock.now += 299
    assert broker.send(queue, message).message_id == first.message_id
    clock.now += 2
    assert broker.send(queue, message).message_id != first.message_id


def test_in_flight_message_reappears_from_a_reopened_store(tmp_path: Path) -> None:
    """A message received and not deleted is hidden in the store itself: a broker opened anew on
    the same file (a restart) hides it until the visibility timeout ends, then hands it out with
    its receive count kept."""
    clock = FakeClock()
    broker = _broker(tmp_path, clock)
    queue = broker.create_queue("q", {"VisibilityTimeout": "30"})
    broker.send(queue, Outgoing(body="x"))
    assert len(broker.receive_now(queue)) == 1
    broker.store.close()
    reopened = _broker(tmp_path, clock)
    queue = reopened.queues["q"]
    assert reopened.receive_now(queue) == []
    clock.now += 30
    (again,) = reopened.receive_now(queue)
    assert again.message.receive_count == 2


def test_receipt_handles_name_their_queue(tmp_path: Path) -> None:
    """A handle names the queue and message it was given for; another queue's handle, or text
    that is no handle, is ReceiptHandleIsInvalid."""
    broker = _broker(tmp_path, FakeClock())
    one, two = broker.create_queue("one", {}), broker.create_queue("two", {})
    broker.send(one, Outgoing(body="x"))
    (received,) = broker.receive_now(one)
    assert parse_handle(received.receipt_handle) is not None
    with pytest.raises(ReceiptHandleIsInvalid):
        broker.delete(two, received.receipt_handle)
    with pytest.raises(ReceiptHandleIsInvalid):
        broker.delete(one, "garbage")
    broker.delete(one, received.receipt_handle)
    assert broker.counts(one) == (0, 0, 0)


def test_available_wakes_on_send(tmp_path: Path) -> None:
    """A poller waiting in available() (with a long timeout and nothing queued) is woken by a
    send, and receive() with a wait returns the message sent while it waits."""
    broker = _broker(tmp_path, FakeClock())
    queue = broker.create_queue("q", {})

    async def scenario() -> list[str]:
        waiter = asyncio.create_task(broker.available(queue, 3600))
        await asyncio.sleep(0)
        assert not waiter.done()
        broker.send(queue, Outgoing(body="first"))
        await asyncio.wait_for(waiter, 10)
        broker.receive_now(queue)
        polling = asyncio.create_task(broker.receive(queue, 1, None, 3600))
        await asyncio.sleep(0)
        broker.send(queue, Outgoing(body="second"))
        received = await asyncio.wait_for(polling, 10)
        return [r.message.body for r in received]

    assert asyncio.run(scenario()) == ["second"]


def test_move_task_running_at_a_stop_resumes_after_it(tmp_path: Path) -> None:
    """A move task interrupted by a stop (still RUNNING in the store) goes on when the next
    broker resumes tasks, and moves every message it had to, each exactly once."""
    from lamina.services.sqs.movetasks import MoveTasks

    clock = FakeClock()
    broker = _broker(tmp_path, clock)
    dlq = broker.create_queue("dlq", {})
    broker.create_queue(
        "work", {"RedrivePolicy": f'{{"deadLetterTargetArn":"{dlq.arn}","maxReceiveCount":1}}'}
    )
    target = broker.create_queue("target", {})
    for i in range(5):
        broker.send(dlq, Outgoing(body=str(i)))

    async def interrupted() -> None:
        moves = MoveTasks(broker)
        moves.start(dlq, target, 2)
        await asyncio.sleep(0)
        await moves.close()

    asyncio.run(interrupted())
    assert broker.counts(target)[0] == 2
    broker.store.close()
    reopened = _broker(tmp_path, clock)

    async def resumed() -> str:
        moves = MoveTasks(reopened)
        moves.resume()
        while (
            status := reopened.store.tasks(reopened.queues["dlq"].arn)[0]["status"]
        ) == "RUNNING":
            await asyncio.sleep(0.05)
        return str(status)

    assert asyncio.run(asyncio.wait_for(resumed(), 30)) == "COMPLETED"
    bodies = [m.body for m in reopened.store.oldest("target", 10)]
    assert sorted(bodies) == ["0", "1", "2", "3", "4"]
    assert reopened.counts(reopened.queues["dlq"]) == (0, 0, 0)


def test_shutdown_answers_waiting_long_polls(tmp_path: Path) -> None:
    """A long poll waiting when SQS closes answers at once with no message, and so does any
    long poll that starts after."""
    from lamina.services.sqs.service import SqsService

    service = SqsService(tmp_path, "us-east-1", "123456789012", "http://localhost:4566")
    queue = service.broker.create_queue("q", {})

    async def scenario() -> tuple[list[object], list[object]]:
        polling = asyncio.create_task(service.broker.receive(queue, 1, None, 3600))
        await asyncio.sleep(0)
        await service.close()
        waited = await asyncio.wait_for(polling, 10)
        later = await asyncio.wait_for(service.broker.available(queue, 3600), 10)
        return list(waited), [later]

    assert asyncio.run(scenario()) == ([], [None])
