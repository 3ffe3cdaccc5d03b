"""The event-pattern matcher against AWS's documented examples (EventBridge content filtering,
SNS subscription filter policies), its validation reasons, and SNS's limits."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lamina.patterns import (
    EVENTBRIDGE,
    SNS_ATTRIBUTES,
    SNS_BODY,
    PatternError,
    compile_pattern,
    parse,
)

# The EC2 state-change event EventBridge's documentation filters.
EC2_EVENT: dict[str, Any] = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {
        "instance-id": "i-1234567890abcdef0",
        "state": "terminated",
        "c-count": 5,
        "d-count": 3,
        "x-limit": 301.8,
        "source-ip": "10.0.0.123",
        "location": "eu-west",
    },
}


def matches(pattern: dict[str, Any], document: Any) -> bool:
    return compile_pattern(pattern).matches(document)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"source": ["aws.ec2"]}, True),
        ({"source": ["aws.s3"]}, False),
        ({"source": ["aws.s3", "aws.ec2"]}, True),
        ({"time": [{"prefix": "2017-12-22"}]}, True),
        ({"detail": {"location": [{"prefix": {"equals-ignore-case": "EU-"}}]}}, True),
        ({"detail": {"instance-id": [{"suffix": "ef0"}]}}, True),
        ({"detail": {"instance-id": [{"suffix": {"equals-ignore-case": "EF0"}}]}}, True),
        ({"detail": {"state": [{"anything-but": "initializing"}]}}, True),
        ({"detail": {"state": [{"anything-but": ["stopped", "terminated"]}]}}, False),
        ({"detail": {"x-limit": [{"anything-but": 123}]}}, True),
        ({"detail": {"x-limit": [{"anything-but": [301.8, 9]}]}}, False),
        ({"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}, True),
        ({"detail": {"state": [{"anything-but": {"prefix": "term"}}]}}, False),
        ({"detail": {"instance-id": [{"anything-but": {"suffix": "ef0"}}]}}, False),
        ({"detail": {"state": [{"anything-but": {"equals-ignore-case": "TERMINATED"}}]}}, False),
        ({"detail": {"state": [{"anything-but": {"wildcard": ["run*", "stop*"]}}]}}, True),
        ({"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}}, True),
        ({"detail": {"d-count": [{"numeric": ["<", 10]}]}}, True),
        ({"detail": {"x-limit": [{"numeric": ["=", 3.018e2]}]}}, True),
        ({"detail": {"c-count": [{"numeric": [">", 5]}]}}, False),
        ({"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}, True),
        ({"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}}, False),
        ({"detail": {"state": [{"exists": True}]}}, True),
        ({"detail": {"nope": [{"exists": False}]}}, True),
        ({"detail": {"state": [{"exists": False}]}}, False),
        ({"detail": {"state": [{"equals-ignore-case": "TeRmInAtEd"}]}}, True),
        ({"detail": {"instance-id": [{"wildcard": "i-*abc*0"}]}}, True),
        ({"detail": {"instance-id": [{"wildcard": "i-*xyz"}]}}, False),
        ({"detail": {"c-count": [5.0]}}, True),
        ({"detail": {"c-count": ["5"]}}, False),
        (
            {
                "source": ["aws.ec2"],
                "$or": [
                    {"detail": {"c-count": [{"numeric": [">", 10]}]}},
                    {"detail": {"d-count": [{"numeric": ["<", 4]}]}},
                ],
            },
            True,
        ),
        (
            {
                "$or": [
                    {"detail": {"c-count": [{"numeric": [">", 10]}]}},
                    {"detail": {"d-count": [{"numeric": [">", 4]}]}},
                ]
            },
            False,
        ),
    ],
)
def test_eventbridge_documented_examples(pattern: dict[str, Any], expected: bool) -> None:
    """Each example of EventBridge's content-filtering page matches the EC2 event as the page
    says (and a near miss does not)."""
    assert matches(pattern, EC2_EVENT) is expected


def test_an_array_in_the_document_matches_when_any_element_does() -> None:
    """``resources`` is an array: a pattern value matches if any element equals it."""
    arn = EC2_EVENT["resources"][0]
    assert matches({"resources": [arn]}, EC2_EVENT)
    assert matches({"resources": [{"prefix": "arn:aws:ec2:"}]}, EC2_EVENT)
    assert not matches({"resources": ["arn:aws:ec2:other"]}, EC2_EVENT)


def test_an_array_of_objects_needs_one_element_to_match_the_whole_sub_pattern() -> None:
    """Two conditions on an array of objects hold for the same element, not one each."""
    doc = {"Records": [{"a": "1", "b": "x"}, {"a": "2", "b": "y"}]}
    assert matches({"Records": {"a": ["1"], "b": ["x"]}}, doc)
    assert not matches({"Records": {"a": ["1"], "b": ["y"]}}, doc)


def test_null_booleans_and_empty_strings_match_exactly() -> None:
    """null, true/false and "" are values of their own: null is not absent, true is not 1."""
    doc = {"a": None, "b": True, "c": "", "d": 1}
    assert matches({"a": [None]}, doc)
    assert not matches({"a": [{"exists": False}]}, doc)
    assert matches({"b": [True]}, doc)
    assert not matches({"d": [True]}, doc)
    assert matches({"c": [""]}, doc)
    assert not matches({"missing": [None]}, doc)


def test_exists_false_matches_an_absent_parent_and_an_empty_array() -> None:
    """A field whose parent is missing, or which holds [], does not exist."""
    assert matches({"detail": {"x": [{"exists": False}]}}, {"source": "s"})
    assert matches({"x": [{"exists": False}]}, {"x": []})
    assert not matches({"x": [{"exists": True}]}, {"x": []})


def test_numbers_too_large_for_a_float_do_not_break_matching() -> None:
    """An integer beyond a double's range (json keeps it exact) compares as an infinity."""
    huge = 10**400
    assert matches({"n": [{"numeric": [">", 5]}]}, {"n": huge})
    assert not matches({"n": [5]}, {"n": huge})
    assert matches({"n": [{"anything-but": [5]}]}, {"n": -huge})


def test_anything_but_never_matches_an_absent_field() -> None:
    """anything-but needs a value to differ from."""
    assert not matches({"state": [{"anything-but": "x"}]}, {})


def test_wildcard_escapes_a_literal_star() -> None:
    r"""``\*`` is a literal star; ``*`` is any run of characters, including none."""
    assert matches({"k": [{"wildcard": r"a\*b"}]}, {"k": "a*b"})
    assert not matches({"k": [{"wildcard": r"a\*b"}]}, {"k": "axxb"})
    assert matches({"k": [{"wildcard": "a*b"}]}, {"k": "ab"})


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ({"a": [{"foo": 1}]}, "Unrecognized match type foo"),
        ({"a": [{"prefix": 1}]}, "prefix match pattern must be a string"),
        ({"a": [{"exists": "yes"}]}, "exists match pattern must be either true or false."),
        ({"a": [{"numeric": [">", "x"]}]}, "Value of > must be numeric"),
        ({"a": [{"numeric": ["=", "x"]}]}, "Value of equals must be numeric"),
        ({"a": [{"numeric": ["!", 1]}]}, "Unrecognized numeric range operator: !"),
        ({"a": [{"numeric": [">", 5, "<", 1]}]}, "Bottom must be less than top"),
        ({"a": [{"numeric": ["<", 5, "<", 9]}]}, "Too many elements in numeric expression"),
        ({"a": [{"numeric": [">", 1, ">", 9]}]}, "Bad numeric range operator: >"),
        ({"a": [{"prefix": "x", "suffix": "y"}]}, "Only one key allowed in match expression"),
        ({"a": [["x"]]}, "Match value must be String, number, true, false, or null"),
        ({"a": []}, "Empty arrays are not allowed"),
        ({"a": "x"}, '"a" must be an object or an array'),
        ({"a": [{"cidr": "10.0.0.0"}]}, "Malformed CIDR, one '/' required"),
        ({"a": [{"cidr": "10.0.0.0/x"}]}, "Malformed CIDR, mask bits must be an integer"),
        ({"a": [{"cidr": "10.0.0/8"}]}, "Nonstandard IP address: 10.0.0"),
        ({"a": [{"wildcard": "a**b"}]}, "Consecutive wildcard characters at pos 2"),
        (
            {"a": [{"anything-but": {"numeric": [">", 1]}}]},
            "Unsupported anything-but pattern: numeric",
        ),
    ],
)
def test_invalid_patterns_give_aws_matchers_reason(pattern: dict[str, Any], reason: str) -> None:
    """A pattern AWS refuses is refused with the reason AWS's matcher gives."""
    with pytest.raises(PatternError) as raised:
        compile_pattern(pattern)
    assert str(raised.value) == reason


def test_text_that_is_not_json_is_refused() -> None:
    """parse() refuses text that is not JSON, and JSON that is not an object."""
    with pytest.raises(PatternError, match="failed to parse JSON"):
        parse("{nope")
    with pytest.raises(PatternError, match="must be a JSON object"):
        parse("[1]")


# -- SNS -----------------------------------------------------------------------------------------


def test_sns_documented_attribute_policy() -> None:
    """SNS's guide's example policy: a customer_interests/price_usd/store/event policy accepts
    the message its guide shows and refuses one whose price is out of range."""
    policy = {
        "store": ["example_corp"],
        "event": [{"anything-but": "order_cancelled"}],
        "customer_interests": ["rugby", "football", "baseball"],
        "price_usd": [{"numeric": [">=", 100]}],
    }
    compiled = compile_pattern(policy, SNS_ATTRIBUTES)
    attributes = {
        "store": "example_corp",
        "event": "order_placed",
        "customer_interests": ["soccer", "rugby", "hockey"],  # a String.Array
        "price_usd": 210.75,
    }
    assert compiled.matches(attributes)
    assert not compiled.matches({**attributes, "price_usd": 99.5})
    assert not compiled.matches({**attributes, "event": "order_cancelled"})


def test_sns_attribute_scope_refuses_nesting() -> None:
    """MessageAttributes policies are flat; MessageBody policies may nest."""
    policy = {"a": {"b": ["x"]}}
    with pytest.raises(PatternError, match="does not support nested filter policy"):
        compile_pattern(policy, SNS_ATTRIBUTES)
    assert compile_pattern(policy, SNS_BODY).matches({"a": {"b": "x"}})


def test_sns_allows_five_keys_not_six() -> None:
    """A filter policy may have at most five keys."""
    five = {f"k{i}": ["v"] for i in range(5)}
    compile_pattern(five, SNS_ATTRIBUTES)
    with pytest.raises(PatternError) as raised:
        compile_pattern({**five, "k5": ["v"]}, SNS_ATTRIBUTES)
    assert str(raised.value) == "Filter policy can not have more than 5 keys"
    compile_pattern({**five, "k5": ["v"]}, EVENTBRIDGE)  # EventBridge has no such limit


def test_sns_limits_combinations_to_150() -> None:
    """150 combinations are allowed, 151 are too complex; values multiply across keys and
    nested keys count their depth, as SNS's guide computes (4x3x3x2 = 72)."""
    compile_pattern({"a": [str(i) for i in range(150)]}, SNS_ATTRIBUTES)
    with pytest.raises(PatternError, match="Filter policy is too complex"):
        compile_pattern({"a": [str(i) for i in range(151)]}, SNS_ATTRIBUTES)
    with pytest.raises(PatternError, match="too complex"):
        compile_pattern(
            {"a": [str(i) for i in range(13)], "b": [str(i) for i in range(12)]}, SNS_ATTRIBUTES
        )
    nested = {
        "key_a": {"key_b": {"key_c": ["1", "2", "3", "4"]}},
        "key_d": {"key_e": ["1", "2", "3"]},
    }
    compile_pattern(nested, SNS_BODY)  # 72
    bigger = {
        "key_a": {"key_b": {"key_c": [str(i) for i in range(9)]}},
        "key_d": {"key_e": ["1", "2", "3"]},
    }
    with pytest.raises(PatternError, match="too complex"):
        compile_pattern(bigger, SNS_BODY)  # 9x3x3x2 = 162


def test_sns_or_sums_its_branches() -> None:
    """``$or`` branches are alternatives: their combinations add up."""
    policy = {
        "source": ["aws.cloudwatch"],
        "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}],
    }
    compiled = compile_pattern(policy, SNS_ATTRIBUTES)
    assert compiled.matches({"source": "aws.cloudwatch", "namespace": "AWS/EC2"})
    assert not compiled.matches({"source": "aws.cloudwatch", "namespace": "AWS/ECS"})


# -- properties ----------------------------------------------------------------------------------

_scalars = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), st.text(max_size=8))


@given(_scalars)
def test_a_value_matches_a_pattern_of_itself(value: Any) -> None:
    """Every JSON scalar matches the pattern listing it, and exists:true."""
    assert matches({"k": [value]}, {"k": value})
    assert matches({"k": [{"exists": True}]}, {"k": value})


@given(st.text(max_size=12), st.text(max_size=4))
def test_prefix_and_anything_but_prefix_are_complements(value: str, prefix: str) -> None:
    """For any string, exactly one of prefix and anything-but prefix matches (prefix non-empty)."""
    if not prefix:
        return
    document = {"k": value}
    yes = matches({"k": [{"prefix": prefix}]}, document)
    no = matches({"k": [{"anything-but": {"prefix": prefix}}]}, document)
    assert yes != no


@given(st.floats(-1e9, 1e9, allow_nan=False), st.floats(-1e9, 1e9, allow_nan=False))
def test_numeric_range_agrees_with_arithmetic(value: float, bound: float) -> None:
    """numeric [">=", bound] matches exactly the numbers at or above bound."""
    assert matches({"n": [{"numeric": [">=", bound]}]}, {"n": value}) is (value >= bound)


@given(st.text(alphabet="ab*", max_size=6), st.text(alphabet="ab", max_size=6))
def test_wildcard_agrees_with_fnmatch(pattern: str, value: str) -> None:
    """A wildcard (no escapes, no double stars) matches as shell globbing with only ``*``."""
    import fnmatch

    if "**" in pattern:
        return
    expected = fnmatch.fnmatchcase(value, pattern)
    assert matches({"k": [{"wildcard": pattern}]}, {"k": value}) is expected


def test_a_pattern_survives_a_json_round_trip() -> None:
    """parse(json.dumps(p)) matches as compile_pattern(p) does."""
    pattern = {"detail": {"state": [{"anything-but": ["x"]}], "c-count": [{"numeric": [">", 1]}]}}
    assert parse(json.dumps(pattern)).matches(EC2_EVENT) is matches(pattern, EC2_EVENT)


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-10, 10)
    | st.floats(allow_nan=False)
    | st.text(max_size=4)
    | st.sampled_from(["prefix", "numeric", ">", "<=", "exists", "anything-but", "$or", "cidr"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "a",
                    "b",
                    "prefix",
                    "suffix",
                    "numeric",
                    "exists",
                    "anything-but",
                    "wildcard",
                    "cidr",
                    "equals-ignore-case",
                    "$or",
                ]
            ),
            inner,
            max_size=3,
        )
    ),
    max_leaves=12,
)


@given(_json_values, _json_values)
def test_any_json_compiles_or_is_refused_with_a_reason(pattern: Any, document: Any) -> None:
    """Whatever JSON a client sends as a pattern, compiling it either succeeds (and matching
    any document then answers a bool) or raises PatternError: never another exception."""
    for rules in (EVENTBRIDGE, SNS_ATTRIBUTES, SNS_BODY):
        try:
            compiled = compile_pattern(pattern, rules)
        except PatternError as exc:
            assert str(exc)
            continue
        assert compiled.matches(document) in (True, False)
