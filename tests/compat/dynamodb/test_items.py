"""PutItem, GetItem, UpdateItem, DeleteItem: the same boto3 calls on Lamina and on moto."""

from __future__ import annotations

import re
from typing import Any

from tests.compat.dynamodb.harness import outcome
from tests.compat.dynamodb.scenarios import TABLE, create, get, key, put

EVERY_TYPE = {
    "pk": {"S": "all"},
    "sk": {"S": "types"},
    "s": {"S": "text é"},
    "n": {"N": "-12.5"},
    "b": {"B": b"\x00\x01\xff"},
    "t": {"BOOL": True},
    "z": {"NULL": True},
    "m": {"M": {"inner": {"L": [{"N": "1"}, {"S": "x"}]}}},
    "l": {"L": [{"S": "a"}, {"M": {}}]},
    "ss": {"SS": ["b", "a"]},
    "ns": {"NS": ["3", "1"]},
    "bs": {"BS": [b"x", b"y"]},
}


def _normalise_sets(item: dict[str, Any]) -> dict[str, Any]:
    return {
        k: ({t: sorted(v)} if t in ("SS", "NS", "BS") else {t: v})
        for k, (t, v) in ((k, next(iter(v.items()))) for k, v in item.items())
    }


def test_every_type_round_trips(compare: Any) -> None:
    """Every DynamoDB type is stored and read back unchanged (sets as sets)."""

    def scenario(ddb: Any) -> Any:
        create(ddb)
        put(ddb, EVERY_TYPE)
        found = get(ddb, key("all", "types"))
        return _normalise_sets(found["Item"])

    assert compare(scenario) == _normalise_sets(EVERY_TYPE)


def test_missing_item_and_missing_table(compare: Any) -> None:
    """GetItem of an absent item answers no Item; any item call on an absent table answers
    ResourceNotFoundException."""

    def scenario(ddb: Any) -> Any:
        create(ddb)
        return [
            get(ddb, key("nope", "x")),
            get(ddb, key("nope", "x"), name="absent")["Error"],
            put(ddb, key("a", "b"), name="absent")["Error"],
        ]

    compare(scenario)


def test_key_validation_errors(compare: Any) -> None:
    """Items without the key, with a mistyped key, an empty string key, and GetItem with extra
    key attributes are refused with ValidationException."""

    def scenario(ddb: Any) -> Any:
        create(ddb)
        return [
            put(ddb, {"pk": {"S": "a"}})["Error"],
            put(ddb, {"pk": {"S": "a"}, "sk": {"N": "1"}})["Error"],
            put(ddb, {"pk": {"S": ""}, "sk": {"S": "x"}})["Error"],
            get(ddb, {**key("a", "b"), "extra": {"S": "x"}})["Error"],
            get(ddb, {"pk": {"S": "a"}})["Error"],
        ]

    assert compare(scenario) == ["ValidationException"] * 5


def test_number_normalisation_is_awss(compare: Any) -> None:
    """Numbers come back canonical: AWS answers 1.50 as 1.5, 1E+2 as 100 and -0 as 0. moto
    echoes the text it was sent, so only the key (compared numerically) is compared with it."""

    def scenario(ddb: Any) -> Any:
        create(ddb)
        put(ddb, {**key("n", "1"), "a": {"N": "1.50"}, "b": {"N": "1E+2"}, "c": {"N": "-0"}})
        return {"exists": "Item" in get(ddb, key("n", "1")), "item": get(ddb, key("n", "1"))}

    ours = compare(scenario, aws_only=("item",))
    assert ours["item"]["Item"]["a"] == {"N": "1.5"}
    assert ours["item"]["Item"]["b"] == {"N": "100"}
    assert ours["item"]["Item"]["c"] == {"N": "0"}


def test_condition_expressions_on_put(compare: Any) -> None:
    """attribute_not_exists guards a create; a failed condition is
    ConditionalCheckFailedException, with the old item when ReturnValuesOnConditionCheckFailure
    is ALL_OLD."""

    def scenario(ddb: Any) -> Any:
        create(ddb)
        guard = {"ConditionExpression": "attribute_not_exists(pk)"}
        first = put(ddb, {**key("a", "1"), "v": {"N": "1"}}, **guard)
        second = put(ddb, {**key("a", "1"), "v": {"N": "2"}}, **guard)
        third = put(
            ddb,
            {**key("a", "1"), "v": {"N": "3"}},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
            **guard,
        )
        return [first, second["Error"], third.get("Item"), get(ddb, key("a", "1"))]

    compare(scenario)


def test_condition_functions_and_operators(compare: Any) -> None:
    """Every condition function and operator, with precedence and parentheses, decides a
    conditional delete the same way."""
    item = {
        **key("c", "1"),
        "s": {"S": "hello"},
        "n": {"N": "5"},
        "ss": {"SS": ["x", "y"]},
        "l": {"L": [{"S": "p"}, {"N": "2"}]},
        "m": {"M": {"deep": {"S": "v"}}},
    }
    values = {
        ":h": {"S": "he"},
        ":five": {"N": "5"},
        ":one": {"N": "1"},
        ":ten": {"N": "10"},
        ":x": {"S": "x"},
        ":p": {"S": "p"},
        ":t": {"S": "SS"},
        ":v": {"S": "v"},
        ":no": {"S": "zzz"},
    }
    conditions = [
        "begins_with(s, :h)",
        "contains(ss, :x)",
        "contains(l, :p)",
        "contains(s, :no)",
        "attribute_type(ss, :t)",
        "size(s) = :five",
        "size(l) > :one",
        "n BETWEEN :one AND :ten",
        "n IN (:one, :five)",
        "m.deep = :v",
        "l[0] = :p",
        "NOT n = :five",
        "n = :one OR n = :five AND s = :no",
        "(n = :one OR n = :five) AND s = :no",
        "attribute_exists(m.deep) AND attribute_not_exists(m.shallow)",
        "n <> :one",
        "n < :ten AND n <= :five AND n > :one AND n >= :five",
        "missing <> :one",
    ]

    def scenario(ddb: Any) -> Any:
        create(ddb)
        results = []
        for condition in conditions:
            put(ddb, item)
            used = {k: v for k, v in values.items() if k in re.findall(r":\w+", condition)}
            answer = outcome(
                ddb.delete_item,
                TableName=TABLE,
                Key=key("c", "1"),
                ConditionExpression=condition,
                ExpressionAttributeValues=used,
            )
            results.append((condition, answer.get("Error", "deleted")))
        return results

    compare(scenario)


def test_update_expression_actions(compare: Any) -> None:
    """SET with arithmetic, if_not_exists and list_append, REMOVE of attributes and list
    elements, ADD to numbers and sets, DELETE from sets: the resulting item and ALL_NEW."""

    def scenario(ddb: Any) -> Any:
        create(ddb)
        put(
            ddb,
            {
                **key("u", "1"),
                "count": {"N": "10"},
                "tags": {"SS": ["a", "b", "c"]},
                "lst": {"L": [{"S": "x"}, {"S": "y"}, {"S": "z"}]},
                "spare": {"SS": ["a", "b"]},
                "l2": {"L": [{"S": "x"}, {"S": "y"}]},
                "gone": {"S": "bye"},
                "m": {"M": {"a": {"N": "1"}}},
            },
        )
        answer = outcome(
            ddb.update_item,
            TableName=TABLE,
            Key=key("u", "1"),
            UpdateExpression=(
                "SET #c = #c + :one, fresh = if_not_exists(fresh, :zero), "
                "lst = list_append(lst, :more), m.b = :one "
                "REMOVE gone, l2[0] ADD visits :one, tags :d DELETE spare :rm"
            ),
            ExpressionAttributeNames={"#c": "count"},
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":zero": {"N": "0"},
                ":more": {"L": [{"S": "w"}]},
                ":d": {"SS": ["d"]},
                ":rm": {"SS": ["a"]},
            },
            ReturnValues="ALL_NEW",
        )
        return answer

    ours = compare(scenario)
    assert ours["Attributes"]["visits"] == {"N": "1"}


def test_update_creates_missing_item_and_return_values(compare: Any) -> None:
    """UpdateItem on an absent item creates it from its key; UPDATED_OLD/UPDATED_NEW return only
    the attributes the update touched, ALL_OLD the item before. An attribute SET to the value it
    already had counts as updated on AWS (moto leaves it out of UPDATED_OLD), so that answer is
    checked on Lamina alone (likewise UPDATED_NEW)."""

    def scenario(ddb: Any) -> Any:
        create(ddb)
        results = {}
        for returns in ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"):
            results[returns] = outcome(
                ddb.update_item,
                TableName=TABLE,
                Key=key("r", "1"),
                UpdateExpression="SET a = if_not_exists(a, :z) + :one, b = :one",
                ExpressionAttributeValues={":one": {"N": "1"}, ":z": {"N": "0"}},
                ReturnValues=returns,
            )
        return results

    ours = compare(scenario, aws_only=("UPDATED_OLD", "UPDATED_NEW"))
    assert ours["UPDATED_OLD"] == {"Attributes": {"a": {"N": "2"}, "b": {"N": "1"}}}
    assert ours["UPDATED_NEW"] == {"Attributes": {"a": {"N": "5"}, "b": {"N": "1"}}}


def test_update_errors(compare: Any) -> None:
    """Updating a key attribute, arithmetic on a string, a path through a missing map, overlapping
    paths and an undefined value are ValidationExceptions, and leave the item as it was."""
    updates = [
        ("SET pk = :one", {":one": {"S": "x"}}),
        ("SET s = s + :one", {":one": {"N": "1"}}),
        ("SET nomap.deep = :one", {":one": {"N": "1"}}),
        ("SET a = :one, a = :one", {":one": {"N": "1"}}),
        ("SET a = :undefined", {":one": {"N": "1"}}),
        ("SET a = :one", {":one": {"N": "1"}, ":unused": {"N": "2"}}),
        ("ADD s :one", {":one": {"N": "1"}}),
        ("SET a = :one SET b = :one", {":one": {"N": "1"}}),
        ("SET", {":one": {"N": "1"}}),
    ]

    def scenario(ddb: Any) -> Any:
        create(ddb)
        put(ddb, {**key("e", "1"), "s": {"S": "text"}})
        codes = []
        for expression, values in updates:
            answer = outcome(
                ddb.update_item,
                TableName=TABLE,
                Key=key("e", "1"),
                UpdateExpression=expression,
                ExpressionAttributeValues=values,
            )
            codes.append((expression, answer.get("Error")))
        return {"codes": codes, "item": get(ddb, key("e", "1"))}

    compare(scenario)


def test_reserved_words_and_names(compare: Any) -> None:
    """A reserved word as an attribute name is refused unless written through
    ExpressionAttributeNames; unused names are refused too."""

    def scenario(ddb: Any) -> Any:
        create(ddb)
        put(ddb, {**key("w", "1"), "name": {"S": "n"}})
        plain = get(ddb, key("w", "1"), ProjectionExpression="name")
        aliased = get(
            ddb, key("w", "1"), ProjectionExpression="#n", ExpressionAttributeNames={"#n": "name"}
        )
        unused = get(
            ddb,
            key("w", "1"),
            ProjectionExpression="sk",
            ExpressionAttributeNames={"#n": "name"},
        )
        return [plain.get("Error"), aliased, unused.get("Error")]

    compare(scenario)


def test_projection_of_nested_paths(compare: Any) -> None:
    """ProjectionExpression keeps nested structure and packs selected list elements: AWS answers
    ``l[1], l[3]`` with both elements in order; moto keeps only the last, so the list is checked
    on Lamina alone."""

    def scenario(ddb: Any) -> Any:
        create(ddb)
        put(
            ddb,
            {
                **key("p", "1"),
                "m": {"M": {"a": {"N": "1"}, "b": {"N": "2"}}},
                "l": {"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}, {"N": "3"}]},
                "x": {"S": "x"},
            },
        )
        found = get(ddb, key("p", "1"), ProjectionExpression="m.b, l[1], l[3], pk, nothing")
        listed = found["Item"].pop("l")
        return {"rest": found, "list": listed}

    ours = compare(scenario, aws_only=("list",))
    assert ours["list"] == {"L": [{"N": "1"}, {"N": "3"}]}


def test_delete_item_return_values(compare: Any) -> None:
    """DeleteItem with ALL_OLD returns the deleted item; deleting an absent item succeeds."""

    def scenario(ddb: Any) -> Any:
        create(ddb)
        put(ddb, {**key("d", "1"), "v": {"S": "x"}})
        first = outcome(ddb.delete_item, TableName=TABLE, Key=key("d", "1"), ReturnValues="ALL_OLD")
        second = outcome(
            ddb.delete_item, TableName=TABLE, Key=key("d", "1"), ReturnValues="ALL_OLD"
        )
        return [first, second, get(ddb, key("d", "1"))]

    compare(scenario)


def test_legacy_expected_and_attribute_updates(compare: Any) -> None:
    """The legacy Expected and AttributeUpdates parameters behave like their expressions."""

    def scenario(ddb: Any) -> Any:
        create(ddb)
        put(ddb, {**key("g", "1"), "v": {"N": "1"}, "s": {"SS": ["a"]}})
        ok = outcome(
            ddb.update_item,
            TableName=TABLE,
            Key=key("g", "1"),
            Expected={"v": {"Value": {"N": "1"}}},
            AttributeUpdates={
                "v": {"Action": "ADD", "Value": {"N": "2"}},
                "s": {"Action": "ADD", "Value": {"SS": ["b"]}},
                "new": {"Action": "PUT", "Value": {"S": "n"}},
            },
            ReturnValues="ALL_NEW",
        )
        failed = outcome(
            ddb.put_item,
            TableName=TABLE,
            Item=key("g", "1"),
            Expected={"v": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "100"}]}},
        )
        ok["Attributes"]["s"]["SS"].sort()
        return [ok, failed.get("Error")]

    compare(scenario)


def test_item_size_limit(compare: Any) -> None:
    """An item over 400 KB is refused; one just under is stored (AWS counts attribute names and
    UTF-8 value bytes; moto counts more and refuses it, so that case is checked on Lamina)."""

    def scenario(ddb: Any) -> Any:
        create(ddb)
        big = put(ddb, {**key("big", "1"), "v": {"S": "x" * (400 * 1024)}})
        fits = put(ddb, {**key("big", "2"), "v": {"S": "x" * (399 * 1024)}})
        return {"big": big.get("Error"), "fits": fits}

    assert compare(scenario, aws_only=("fits",))["fits"] == {}
