"""Query and Scan on tables and secondary indexes, on Lamina and on moto."""

from __future__ import annotations

from typing import Any

from tests.compat.dynamodb.harness import outcome
from tests.compat.dynamodb.scenarios import TABLE, create, put, sorted_items


def _numbers(ddb: Any) -> None:
    create(ddb, range_type="N")
    for i in range(20):
        put(ddb, {"pk": {"S": "p"}, "sk": {"N": str(i - 5)}, "v": {"N": str(i % 3)}})
    put(ddb, {"pk": {"S": "other"}, "sk": {"N": "1"}})


def _query(ddb: Any, condition: str, values: dict[str, Any], **kw: Any) -> Any:
    return outcome(
        ddb.query,
        TableName=TABLE,
        KeyConditionExpression=condition,
        ExpressionAttributeValues=values,
        **kw,
    )


def test_key_conditions_on_numbers(compare: Any) -> None:
    """Every key condition operator selects the same items, in numeric order, both directions."""
    p = {"S": "p"}
    cases = [
        ("pk = :p", {":p": p}),
        ("pk = :p AND sk = :a", {":p": p, ":a": {"N": "3"}}),
        ("pk = :p AND sk < :a", {":p": p, ":a": {"N": "-2"}}),
        ("pk = :p AND sk <= :a", {":p": p, ":a": {"N": "-2"}}),
        ("pk = :p AND sk > :a", {":p": p, ":a": {"N": "12"}}),
        ("pk = :p AND sk >= :a", {":p": p, ":a": {"N": "12"}}),
        ("pk = :p AND sk BETWEEN :a AND :b", {":p": p, ":a": {"N": "-1"}, ":b": {"N": "2.5"}}),
    ]

    def scenario(ddb: Any) -> Any:
        _numbers(ddb)
        return [
            _query(ddb, condition, values, ScanIndexForward=forward)
            for condition, values in cases
            for forward in (True, False)
        ]

    compare(scenario)


def test_key_condition_in_any_order(lamina: Any) -> None:
    """The range key condition may come first (moto's parser fails on this, AWS accepts it)."""
    _numbers(lamina)
    values = {":p": {"S": "p"}, ":a": {"N": "0"}, ":b": {"N": "1"}}
    answer = _query(lamina, "sk BETWEEN :a AND :b AND pk = :p", values)
    assert [i["sk"]["N"] for i in answer["Items"]] == ["0", "1"]


def test_begins_with_on_strings_and_filters(compare: Any) -> None:
    """begins_with on a string range key, FilterExpression after the key condition (Count vs
    ScannedCount), ProjectionExpression and Select COUNT."""

    def scenario(ddb: Any) -> Any:
        create(ddb)
        for name in ("apple", "apricot", "banana", "app", "b"):
            put(ddb, {"pk": {"S": "f"}, "sk": {"S": name}, "len": {"N": str(len(name))}})
        values = {":p": {"S": "f"}, ":ap": {"S": "ap"}}
        return [
            _query(ddb, "pk = :p AND begins_with(sk, :ap)", values),
            _query(
                ddb,
                "pk = :p AND begins_with(sk, :ap)",
                {**values, ":n": {"N": "4"}},
                FilterExpression="len > :n",
            ),
            _query(ddb, "pk = :p", {":p": {"S": "f"}}, ProjectionExpression="sk"),
            _query(ddb, "pk = :p", {":p": {"S": "f"}}, Select="COUNT"),
        ]

    compare(scenario)


def test_pagination_with_limit(compare: Any) -> None:
    """Limit pages through a partition with LastEvaluatedKey/ExclusiveStartKey, forward and
    backward, without losing or repeating an item. AWS gives a LastEvaluatedKey whenever a page
    stops at Limit, even when nothing follows; moto only when more items follow, so the last page
    is checked on Lamina alone."""

    def scenario(ddb: Any) -> Any:
        _numbers(ddb)
        pages: dict[str, Any] = {}
        for forward in (True, False):
            seen = []
            start = None
            for _ in range(10):
                extra = {"ExclusiveStartKey": start} if start else {}
                page = _query(
                    ddb, "pk = :p", {":p": {"S": "p"}}, Limit=7, ScanIndexForward=forward, **extra
                )
                seen.append([i["sk"]["N"] for i in page["Items"]])
                start = page.get("LastEvaluatedKey")
                if start is None:
                    break
            pages[f"forward={forward}"] = seen
        last = _query(ddb, "pk = :p", {":p": {"S": "p"}}, Limit=20)
        pages["last"] = "LastEvaluatedKey" in last
        return pages

    ours = compare(scenario, aws_only=("last",))
    assert ours["last"] is True


def test_query_validation_errors(compare: Any) -> None:
    """Key conditions DynamoDB refuses: no hash key, a non-equality on the hash key, a non-key
    attribute, a missing KeyConditionExpression (OR, which moto cannot parse at all, and unknown
    indexes are checked on Lamina alone below)."""

    def scenario(ddb: Any) -> Any:
        _numbers(ddb)
        n = {"N": "1"}
        p = {"S": "p"}
        return [
            _query(ddb, "sk = :n", {":n": n}).get("Error"),
            _query(ddb, "pk > :p", {":p": p}).get("Error"),
            _query(ddb, "pk = :p AND v = :n", {":p": p, ":n": n}).get("Error"),
            outcome(ddb.query, TableName=TABLE).get("Error"),
        ]

    assert compare(scenario) == ["ValidationException"] * 4


def test_or_in_key_condition_is_refused(lamina: Any) -> None:
    """OR in a KeyConditionExpression is a ValidationException naming the operator; an unknown
    IndexName is a ValidationException on AWS (moto answers ResourceNotFoundException)."""
    _numbers(lamina)
    unknown = _query(lamina, "pk = :p", {":p": {"S": "p"}}, IndexName="nope")
    assert unknown == {
        "Error": "ValidationException",
        "Message": "The table does not have the specified index: nope",
    }
    answer = _query(lamina, "pk = :p OR sk = :n", {":p": {"S": "p"}, ":n": {"N": "1"}})
    assert answer == {
        "Error": "ValidationException",
        "Message": "Invalid operator used in KeyConditionExpression: OR",
    }


def test_scan_with_filter_and_segments(compare: Any) -> None:
    """Scan with a filter returns the same set; parallel segments partition the table."""

    def scenario(ddb: Any) -> Any:
        _numbers(ddb)
        filtered = outcome(
            ddb.scan,
            TableName=TABLE,
            FilterExpression="v = :zero",
            ExpressionAttributeValues={":zero": {"N": "0"}},
        )
        segments = []
        for segment in range(3):
            page = outcome(ddb.scan, TableName=TABLE, Segment=segment, TotalSegments=3)
            segments += page["Items"]
        bad = outcome(ddb.scan, TableName=TABLE, Segment=3, TotalSegments=3)
        return {
            "filtered": sorted_items(filtered)["Items"],
            "count": filtered["Count"],
            "segments": sorted(segments, key=repr),
            "bad": bad.get("Error"),
        }

    compare(scenario)


def _indexed(ddb: Any) -> None:
    create(
        ddb,
        ExtraAttributes=[
            {"AttributeName": "g", "AttributeType": "S"},
            {"AttributeName": "when", "AttributeType": "N"},
            {"AttributeName": "alt", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-g",
                "KeySchema": [
                    {"AttributeName": "g", "KeyType": "HASH"},
                    {"AttributeName": "when", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        LocalSecondaryIndexes=[
            {
                "IndexName": "by-alt",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "alt", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )
    for i in range(8):
        item = {"pk": {"S": f"p{i % 2}"}, "sk": {"S": f"s{i}"}, "when": {"N": str(10 - i)}}
        if i % 3:
            item["g"] = {"S": "group"}
        item["alt"] = {"S": f"alt{7 - i}"}
        put(ddb, item)


def test_gsi_and_lsi_queries(compare: Any) -> None:
    """A GSI is sparse (items without its key are absent) and ordered by its range key; an LSI
    orders a partition by another attribute; both are maintained on update and delete."""

    def scenario(ddb: Any) -> Any:
        _indexed(ddb)
        gsi = _query(ddb, "g = :g", {":g": {"S": "group"}}, IndexName="by-g")
        lsi = _query(ddb, "pk = :p", {":p": {"S": "p0"}}, IndexName="by-alt")
        outcome(
            ddb.update_item,
            TableName=TABLE,
            Key={"pk": {"S": "p1"}, "sk": {"S": "s1"}},
            UpdateExpression="REMOVE g",
        )
        outcome(ddb.delete_item, TableName=TABLE, Key={"pk": {"S": "p0"}, "sk": {"S": "s2"}})
        after = _query(
            ddb,
            "g = :g AND #w > :w",
            {":g": {"S": "group"}, ":w": {"N": "3"}},
            IndexName="by-g",
            ExpressionAttributeNames={"#w": "when"},
        )
        strong = _query(
            ddb, "g = :g", {":g": {"S": "group"}}, IndexName="by-g", ConsistentRead=True
        )
        return {"gsi": gsi, "lsi": lsi, "after": after, "strong": strong.get("Error")}

    compare(scenario)


def test_pages_stop_after_one_megabyte(lamina: Any) -> None:
    """Query and Scan stop once 1 MB has been read and say where to resume, even without a
    Limit; resuming reads the rest."""
    create(lamina)
    for i in range(25):
        put(lamina, {"pk": {"S": "big"}, "sk": {"S": f"{i:02d}"}, "v": {"S": "x" * 100_000}})
    first = _query(lamina, "pk = :p", {":p": {"S": "big"}}, ProjectionExpression="sk")
    assert 9 <= first["Count"] <= 11 and "LastEvaluatedKey" in first
    rest = _query(
        lamina,
        "pk = :p",
        {":p": {"S": "big"}},
        ProjectionExpression="sk",
        ExclusiveStartKey=first["LastEvaluatedKey"],
    )
    seen = [i["sk"]["S"] for i in first["Items"] + rest["Items"]]
    third = []
    if "LastEvaluatedKey" in rest:
        more = _query(
            lamina,
            "pk = :p",
            {":p": {"S": "big"}},
            ProjectionExpression="sk",
            ExclusiveStartKey=rest["LastEvaluatedKey"],
        )
        third = [i["sk"]["S"] for i in more["Items"]]
    assert seen + third == [f"{i:02d}" for i in range(25)]
    scanned = outcome(lamina.scan, TableName=TABLE, ProjectionExpression="sk")
    assert scanned["Count"] < 25 and "LastEvaluatedKey" in scanned
