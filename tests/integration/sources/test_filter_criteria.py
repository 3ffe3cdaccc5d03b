"""A stream mapping's FilterCriteria, in a real `lamina up`: only the records its pattern
matches (new items whose kind is "order") reach the function."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.asyncinvoke.lamina_up import LaminaUp, wait_for
from tests.integration.sources.test_stream_mappings import printed

pytestmark = pytest.mark.slow
TEMPLATE = Path(__file__).parent / "filter_app" / "template.yaml"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LaminaUp]:
    up = LaminaUp(TEMPLATE, tmp_path / "state").start()
    yield up
    up.stop()


def test_only_matching_records_reach_the_function(server: LaminaUp) -> None:
    """Of an order, a refund, an update of the order and a second order, the function sees
    the two new orders only."""
    table = server.aws("dynamodb")

    def put(key: str, kind: str) -> None:
        table.put_item(TableName="filtered-things", Item={"id": {"S": key}, "kind": {"S": kind}})

    put("o1", "order")
    put("r1", "refund")
    put("o1", "order")  # a MODIFY: filtered out
    put("o2", "order")
    kept = wait_for(lambda: len(printed(server, "kept")) >= 2, timeout=30)
    assert kept
    put("marker", "order")
    wait_for(lambda: len(printed(server, "kept")) >= 3, timeout=30)
    assert [d["kept"] for d in printed(server, "kept")] == ["o1", "o2", "marker"]
