"""Property tests: random operation sequences and random condition expressions, run on Lamina
and on moto, must give the same answers.

Values stay where moto follows AWS (integers in canonical form, since moto does not normalise
numbers); the examples are bounded so the tier stays fast.
"""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.compat.dynamodb.harness import outcome

_names = itertools.count()

numbers = st.integers(min_value=-50, max_value=50).map(lambda n: {"N": str(n)})
strings = st.text(alphabet="abc", min_size=0, max_size=3).map(lambda s: {"S": s})
string_sets = st.sets(st.sampled_from("xyz"), min_size=1, max_size=3).map(
    lambda s: {"SS": sorted(s)}
)
partitions = st.sampled_from(["p", "q"])
sorts = st.integers(min_value=0, max_value=5).map(str)


def _comparison() -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    """One comparison or function on ``a`` (always a string) or ``n`` (always a number), with
    a value of the attribute's type: moto fails outright when ``<`` meets mismatched types
    (AWS answers false), so the property keeps types aligned."""

    def build(parts: tuple[str, str, int]) -> tuple[str, dict[str, Any]]:
        attribute, op, seed = parts
        value = {"S": "abc"[: seed % 4]} if attribute == "a" else {"N": str(seed - 3)}
        if op == "exists":
            return f"attribute_exists({attribute})", {}
        if op == "missing":
            return f"attribute_not_exists({attribute})", {}
        if op == "begins":
            # AWS refuses a number here (ValidationException) where moto evaluates it: the
            # property uses strings; the refusal is pinned by the unit tests.
            return "begins_with(a, :v)", {":v": {"S": "abc"[: seed % 3]}}
        return f"{attribute} {op} :v", {":v": value}

    return st.tuples(
        st.sampled_from(["a", "n"]),
        st.sampled_from(["=", "<>", "<", ">=", "exists", "missing", "begins"]),
        st.integers(0, 7),
    ).map(build)


def _rename(text: str, values: dict[str, Any], suffix: str) -> tuple[str, dict[str, Any]]:
    for name in values:
        text = text.replace(name, name + suffix)
    return text, {name + suffix: value for name, value in values.items()}


@st.composite
def conditions(draw: Any, depth: int = 2) -> tuple[str, dict[str, Any]]:
    """A condition expression with its values: comparisons and functions joined by AND, OR and
    NOT, parenthesised at random."""
    if depth == 0 or draw(st.booleans()):
        text, used = draw(_comparison())
        return _rename(text, used, str(draw(st.integers(0, 99))))
    left_text, left_values = draw(conditions(depth - 1))
    kind = draw(st.sampled_from(["AND", "OR", "NOT"]))
    if kind == "NOT":
        return f"NOT ({left_text})", left_values
    right_text, right_values = draw(conditions(depth - 1))
    merged = {**left_values, **right_values}
    if set(left_values) & set(right_values):
        return left_text, left_values
    return f"({left_text}) {kind} {right_text}", merged


_UPDATES = [
    ("SET a = :v", lambda v: {":v": v}),
    ("SET n = if_not_exists(n, :zero) + :one", lambda v: {":zero": {"N": "0"}, ":one": {"N": "1"}}),
    ("ADD n :one", lambda v: {":one": {"N": "3"}}),
    ("ADD s :set", lambda v: {":set": {"SS": ["x", "w"]}}),
    ("DELETE s :set", lambda v: {":set": {"SS": ["x"]}}),
    ("REMOVE a, n", lambda v: {}),
    (
        "SET l = list_append(if_not_exists(l, :e), :l)",
        lambda v: {":e": {"L": []}, ":l": {"L": [v]}},
    ),
]

operations = st.one_of(
    st.tuples(
        st.just("put"),
        partitions,
        sorts,
        st.fixed_dictionaries({}, optional={"a": strings, "n": numbers, "s": string_sets}),
    ),
    st.tuples(st.just("update"), partitions, sorts, st.integers(0, len(_UPDATES) - 1), strings),
    st.tuples(st.just("delete"), partitions, sorts, st.one_of(st.none(), conditions())),
    st.tuples(st.just("cput"), partitions, sorts, conditions()),
    st.tuples(st.just("query"), partitions, st.booleans(), st.integers(1, 4)),
)


def _canonical(result: Any) -> Any:
    """Answers with sets sorted, so that set order never counts."""
    if isinstance(result, dict):
        return {
            k: sorted(v) if k in ("SS", "NS", "BS") else _canonical(v) for k, v in result.items()
        }
    if isinstance(result, list):
        return [_canonical(v) for v in result]
    return result


def _run(ddb: Any, table: str, ops: list[Any]) -> list[Any]:
    ddb.create_table(
        TableName=table,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    answers = []
    for op in ops:
        kind, pk, sk = op[0], op[1], op[2]
        key = {"pk": {"S": pk}, "sk": {"N": sk}} if kind != "query" else None
        if kind == "put":
            answers.append(
                outcome(
                    ddb.put_item, TableName=table, Item={**op[3], **key}, ReturnValues="ALL_OLD"
                )
            )
        elif kind == "update":
            text, make = _UPDATES[op[3]]
            extra = {"ExpressionAttributeValues": make(op[4])} if make(op[4]) else {}
            answers.append(
                outcome(
                    ddb.update_item,
                    TableName=table,
                    Key=key,
                    UpdateExpression=text,
                    ReturnValues="ALL_NEW",
                    **extra,
                )
            )
        elif kind in ("delete", "cput"):
            extra = {}
            if op[3] is not None:
                text, used = op[3]
                extra = {"ConditionExpression": text}
                if used:
                    extra["ExpressionAttributeValues"] = used
            call = ddb.delete_item if kind == "delete" else ddb.put_item
            target = {"Key": key} if kind == "delete" else {"Item": {**key, "c": {"S": "y"}}}
            answer = outcome(call, TableName=table, ReturnValues="ALL_OLD", **target, **extra)
            answers.append(answer.get("Error", answer))
        else:
            page = outcome(
                ddb.query,
                TableName=table,
                KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": {"S": pk}},
                ScanIndexForward=sk,
                Limit=op[3],
            )
            # AWS answers LastEvaluatedKey whenever Limit stops a page, moto only when more items
            # follow: pagination is pinned by the Query tests, the items are compared here.
            page.pop("LastEvaluatedKey", None)
            answers.append(page)
    answers.append(outcome(ddb.scan, TableName=table)["Count"])
    ddb.delete_table(TableName=table)
    return _canonical(answers)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(operations, min_size=1, max_size=12))
def test_random_operation_sequences_agree(lamina: Any, moto_client: Any, ops: list[Any]) -> None:
    """Any sequence of puts, conditional puts and deletes, updates and queries leaves both
    backends answering the same, errors included."""
    table = f"prop-{next(_names)}"
    assert _run(lamina, table, ops) == _run(moto_client, table, ops)
