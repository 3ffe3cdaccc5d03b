"""Oversized and deeply nested expressions through boto3: AWS's ValidationException, while
another client's requests keep being answered (the limit is decided before the work)."""

from __future__ import annotations

import threading
from typing import Any

from tests.compat.dynamodb.harness import outcome
from tests.compat.dynamodb.scenarios import TABLE, create, key, put


def test_a_42_kb_update_expression_is_refused_and_others_keep_being_served(
    lamina: Any, lamina_server: Any
) -> None:
    """The 42 KB UpdateExpression that once blocked every client for seconds is refused by its
    size, as DynamoDB refuses it; a second client's GetItems all succeed meanwhile."""
    create(lamina)
    put(lamina, key("a", "b"))
    text = "SET " + ", ".join(f"attr{i:05d} = :v" for i in range(2600))
    other = lamina_server.client()
    answered: list[bool] = []

    def reads() -> None:
        for _ in range(20):
            answered.append("Item" in other.get_item(TableName=TABLE, Key=key("a", "b")))

    reader = threading.Thread(target=reads)
    reader.start()
    for _ in range(5):
        result = outcome(
            lamina.update_item,
            TableName=TABLE,
            Key=key("a", "b"),
            UpdateExpression=text,
            ExpressionAttributeValues={":v": {"S": "x"}},
        )
        assert result["Error"] == "ValidationException"
        assert result["Message"] == (
            "Invalid UpdateExpression: Expression size has exceeded the maximum allowed size; "
            f"expression size: {len(text)}"
        )
    reader.join()
    other.close()
    assert answered == [True] * 20


def test_nesting_past_the_limit_is_a_validation_exception_not_a_500(lamina: Any) -> None:
    create(lamina)
    deep = "(" * 500 + "pk = :v" + ")" * 500
    result = outcome(
        lamina.scan,
        TableName=TABLE,
        FilterExpression=deep[:4000],
        ExpressionAttributeValues={":v": {"S": "x"}},
    )
    assert result["Error"] == "ValidationException"
    assert "nesting levels: 33" in result["Message"]
