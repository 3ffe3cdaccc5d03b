"""BatchGetItem, BatchWriteItem, TransactGetItems, TransactWriteItems and PartiQL on Lamina and
on moto."""

from __future__ import annotations

from typing import Any

from tests.compat.dynamodb.harness import outcome
from tests.compat.dynamodb.scenarios import TABLE, create, get, key, put


def test_batch_write_and_get(compare: Any) -> None:
    """BatchWriteItem puts and deletes; BatchGetItem returns the items found (absent ones are just
    missing) and an empty UnprocessedKeys; duplicate keys are refused, and so are batches of more
    than 25 writes on AWS (moto accepts them: checked on Lamina alone)."""

    def scenario(ddb: Any) -> Any:
        create(ddb)
        put(ddb, {**key("gone", "1")})
        writes = [
            {"PutRequest": {"Item": {**key(f"b{i}", "1"), "i": {"N": str(i)}}}} for i in range(5)
        ]
        writes.append({"DeleteRequest": {"Key": key("gone", "1")}})
        written = outcome(ddb.batch_write_item, RequestItems={TABLE: writes})
        keys = [key(f"b{i}", "1") for i in range(7)] + [key("gone", "1")]
        found = outcome(ddb.batch_get_item, RequestItems={TABLE: {"Keys": keys}})
        duplicate = outcome(
            ddb.batch_get_item, RequestItems={TABLE: {"Keys": [key("a", "1"), key("a", "1")]}}
        )
        too_many = outcome(
            ddb.batch_write_item,
            RequestItems={TABLE: [{"PutRequest": {"Item": key(f"x{i}", "1")}} for i in range(26)]},
        )
        return {
            "written": written,
            "found": sorted(i["pk"]["S"] for i in found["Responses"][TABLE]),
            "unprocessed": found["UnprocessedKeys"],
            "duplicate": duplicate.get("Error"),
            "too_many": too_many.get("Error"),
        }

    assert compare(scenario, aws_only=("too_many",))["too_many"] == "ValidationException"


def test_transact_write_all_or_nothing(compare: Any) -> None:
    """A transaction whose condition fails writes nothing and lists a reason per action; one
    that passes applies Put, Update, Delete and ConditionCheck together; two actions on one item
    are refused."""

    def scenario(ddb: Any) -> Any:
        create(ddb)
        put(ddb, {**key("t", "1"), "n": {"N": "1"}})
        put(ddb, {**key("t", "2")})
        failing = [
            {"Put": {"TableName": TABLE, "Item": key("t", "3")}},
            {
                "ConditionCheck": {
                    "TableName": TABLE,
                    "Key": key("t", "1"),
                    "ConditionExpression": "n = :two",
                    "ExpressionAttributeValues": {":two": {"N": "2"}},
                }
            },
        ]
        cancelled = outcome(ddb.transact_write_items, TransactItems=failing)
        passing = [
            {"Put": {"TableName": TABLE, "Item": key("t", "3")}},
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": key("t", "1"),
                    "UpdateExpression": "SET n = n + :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
            {"Delete": {"TableName": TABLE, "Key": key("t", "2")}},
        ]
        done = outcome(ddb.transact_write_items, TransactItems=passing)
        twice = outcome(
            ddb.transact_write_items,
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": key("t", "9")}},
                {"Delete": {"TableName": TABLE, "Key": key("t", "9")}},
            ],
        )
        read = outcome(
            ddb.transact_get_items,
            TransactItems=[
                {"Get": {"TableName": TABLE, "Key": key("t", str(i))}} for i in (1, 2, 3)
            ],
        )
        return {
            "cancelled": [cancelled["Error"], cancelled.get("CancellationReasons")],
            "done": done,
            "twice": twice.get("Error"),
            "read": read["Responses"],
        }

    compare(scenario)


def test_transaction_cancellation_leaves_items(lamina: Any) -> None:
    """After a cancelled transaction none of its writes is visible."""
    create(lamina)
    answer = outcome(
        lamina.transact_write_items,
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": key("c", "1")}},
            {
                "ConditionCheck": {
                    "TableName": TABLE,
                    "Key": key("c", "2"),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
        ],
    )
    assert answer["Error"] == "TransactionCanceledException"
    assert answer["Message"].endswith("[None, ConditionalCheckFailed]")
    assert get(lamina, key("c", "1")) == {}


def test_client_request_token_is_idempotent(lamina: Any) -> None:
    """The same ClientRequestToken with the same request succeeds again without writing twice;
    with another request it is IdempotentParameterMismatchException."""
    create(lamina)
    put(lamina, {**key("i", "1"), "n": {"N": "0"}})
    add = {
        "Update": {
            "TableName": TABLE,
            "Key": key("i", "1"),
            "UpdateExpression": "ADD n :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }
    for _ in range(2):
        assert (
            outcome(lamina.transact_write_items, TransactItems=[add], ClientRequestToken="tok")
            == {}
        )
    assert get(lamina, key("i", "1"))["Item"]["n"] == {"N": "1"}
    other = outcome(
        lamina.transact_write_items,
        TransactItems=[{"Put": {"TableName": TABLE, "Item": key("i", "2")}}],
        ClientRequestToken="tok",
    )
    assert other["Error"] == "IdempotentParameterMismatchException"


def test_partiql_statements(compare: Any) -> None:
    """INSERT, SELECT (by key and by scan with a filter), UPDATE and DELETE through
    ExecuteStatement; INSERT of an existing key is DuplicateItemException on AWS (moto overwrites
    the item: checked on Lamina alone)."""

    def scenario(ddb: Any) -> Any:
        create(ddb)
        run = lambda statement, *params: outcome(  # noqa: E731
            ddb.execute_statement,
            Statement=statement,
            **({"Parameters": list(params)} if params else {}),
        )
        inserted = run(f"INSERT INTO \"{TABLE}\" VALUE {{'pk': 'q', 'sk': '1', 'n': 1}}")
        run(f"INSERT INTO \"{TABLE}\" VALUE {{'pk': 'q', 'sk': '2', 'n': 2}}")
        duplicate = run(f"INSERT INTO \"{TABLE}\" VALUE {{'pk': 'q', 'sk': '1'}}")
        by_key = run(f'SELECT * FROM "{TABLE}" WHERE pk = ? AND sk = ?', {"S": "q"}, {"S": "2"})
        run(
            f"UPDATE \"{TABLE}\" SET n = ?, extra = 'x' WHERE pk = 'q' AND sk = '1'",
            {"N": "5"},
        )
        filtered = run(f'SELECT pk, sk, n FROM "{TABLE}" WHERE n > 1')
        run(f"DELETE FROM \"{TABLE}\" WHERE pk = 'q' AND sk = '2'")
        remaining = run(f'SELECT * FROM "{TABLE}"')
        return {
            "inserted": inserted,
            "duplicate": duplicate.get("Error"),
            "by_key": by_key["Items"],
            "filtered": sorted(filtered["Items"], key=repr),
            "remaining": remaining["Items"],
        }

    assert compare(scenario, aws_only=("duplicate",))["duplicate"] == "DuplicateItemException"


def test_a_batch_of_megabytes_runs_off_the_loop_one_operation_at_a_time(lamina: Any) -> None:
    """A BatchWriteItem of about 9.5 MB (25 items near 380 KB) runs on the service's own
    thread, not the event loop; writes sent while it runs wait for it and are applied after
    it, so every item reads back whole and the last write of a key wins."""
    import threading

    create(lamina)
    blob = "x" * 380_000
    writes = [
        {"PutRequest": {"Item": {**key(f"big{i}", "1"), "blob": {"S": blob}}}} for i in range(25)
    ]
    answers: list[Any] = []
    batch = threading.Thread(
        target=lambda: answers.append(lamina.batch_write_item(RequestItems={TABLE: writes}))
    )
    batch.start()
    for n in range(20):
        put(lamina, {**key("big3", "1"), "blob": {"S": f"small {n}"}})
    batch.join(60)
    assert answers and answers[0]["UnprocessedItems"] == {}
    # The service is in this process: its thread is there once a big request has run.
    assert any(t.name.startswith("lamina-dynamodb") for t in threading.enumerate())
    seen = lamina.batch_get_item(
        RequestItems={TABLE: {"Keys": [key(f"big{i}", "1") for i in range(25)]}}
    )["Responses"][TABLE]
    blobs = {item["pk"]["S"]: item["blob"]["S"] for item in seen}
    assert len(blobs) == 25
    assert all(v == blob for k, v in blobs.items() if k != "big3")
    assert blobs["big3"] in (blob, "small 19")  # whole: the batch's or the last small write's
