"""A mapping whose source Lamina does not serve is reported, not silently skipped."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from lamina.delivery import Deliveries
from lamina.model.mappings import EventSourceMapping
from lamina.sources.pollers import Pollers
from lamina.sources.positions import Positions

QUEUE = "arn:aws:sqs:us-east-1:123456789012:orders"


class _NoInvoker:
    async def invoke(self, request: object) -> object:
        raise AssertionError("nothing is polled, so nothing is invoked")


def test_a_mapping_to_a_source_served_elsewhere_is_named_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """SQS served elsewhere (no queues here): deploying a queue mapping starts no poller and
    warns once, naming the mapping, its function and its queue; a redeploy does not repeat it,
    and a disabled mapping is not reported."""
    mapping = EventSourceMapping("m-1", "app-Worker", None, QUEUE, 10)
    disabled = EventSourceMapping("m-2", "app-Other", None, QUEUE, 10, enabled=False)
    pollers = Pollers(
        Positions(tmp_path / "sources.sqlite3"),
        _NoInvoker(),  # type: ignore[arg-type]
        Deliveries(),
        {},
        "us-east-1",
        "123456789012",
    )

    async def scenario() -> None:
        await pollers.deploy([mapping, disabled])
        await pollers.deploy([mapping, disabled])
        assert pollers.mappings == []
        await pollers.close()

    with caplog.at_level(logging.WARNING, logger="lamina.sources"):
        asyncio.run(scenario())
    warned = [r.getMessage() for r in caplog.records if "not polled" in r.getMessage()]
    assert len(warned) == 1
    assert "m-1" in warned[0] and "app-Worker" in warned[0] and QUEUE in warned[0]
    assert "sqs" in warned[0]
