"""For whole operations of real models, any members botocore serialises (generated from the
input shape: nested structures, lists, maps, enums, numbers, timestamps, blobs, URI labels,
query-string and header members) are parsed back by Lamina to the same members, in every
protocol."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lamina.services.protocols import shapes
from lamina.services.protocols.shapes import Member, Shape
from tests.unit.services.test_roundtrip import botocore_reads, botocore_request, lamina_parse

_TEXT = st.text("abcXYZ019-_.", min_size=1, max_size=8)


def strategy(shape: Shape, depth: int = 0, member: Member | None = None) -> st.SearchStrategy[Any]:
    kind = shape.kind
    if kind == "structure":
        required = {
            n: strategy(m.shape, depth + 1, m)
            for n, m in shape.members.items()
            if n in shape.required
        }
        optional = (
            {
                n: strategy(m.shape, depth + 1, m)
                for n, m in shape.members.items()
                if n not in shape.required
            }
            if depth < 3
            else {}
        )
        found = st.fixed_dictionaries(required, optional=optional)
        # An empty nested structure is not sent at all in query: nothing to read back.
        return found if depth == 0 else found.filter(bool)
    if kind == "list":
        assert shape.member is not None
        low, high = _sizes(shape)
        return st.lists(strategy(shape.member.shape, depth + 1), min_size=low, max_size=high)
    if kind == "map":
        assert shape.key is not None and shape.value is not None
        keys = st.text("abcdxyz", min_size=1, max_size=6)
        low, high = _sizes(shape)
        values = strategy(shape.value.shape, depth + 1)
        return st.dictionaries(keys, values, min_size=low, max_size=high)
    if kind == "string":
        if shape.enum:
            return st.sampled_from(sorted(shape.enum))
        low = max(shape.min or 1, 1)
        if low > 8:
            return st.just("a" * low)
        high = min(max(low, 8), int(shape.max)) if shape.max is not None else max(low, 8)
        return st.text("abcXYZ019-_.", min_size=low, max_size=high)
    if kind in ("integer", "long"):
        low = int(shape.min) if shape.min is not None else 0
        high = int(shape.max) if shape.max is not None else low + 1000
        return st.integers(low, min(high, low + 1000))
    if kind in ("float", "double"):
        low = int(shape.min) if shape.min is not None else 0
        high = int(shape.max) if shape.max is not None else low + 250
        return st.integers(low * 4, high * 4).map(lambda n: n / 4)
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return st.integers(0, 4_000_000_000).map(lambda s: dt.datetime.fromtimestamp(s, dt.UTC))
    if kind == "blob":
        return st.binary(min_size=1, max_size=16)
    return st.nothing()


def _sizes(shape: Shape) -> tuple[int, int]:
    low = max(int(shape.min or 1), 1)
    return low, max(low, min(int(shape.max or 3), 3))


OPERATIONS = [
    ("sts", "AssumeRole"),
    ("sns", "CreateTopic"),
    ("sns", "SetSubscriptionAttributes"),
    ("iam", "CreateRole"),
    ("iam", "PutRolePolicy"),
    ("lambda", "CreateFunction"),
    ("lambda", "UpdateFunctionConfiguration"),
    ("lambda", "Invoke"),
    ("lambda", "ListFunctions"),
    ("scheduler", "CreateSchedule"),
    ("s3", "PutObject"),
    ("s3", "PutBucketTagging"),
    ("s3", "PutBucketLifecycleConfiguration"),
    ("s3", "ListObjectsV2"),
    ("route53", "ChangeResourceRecordSets"),
    ("logs", "PutLogEvents"),
    ("events", "PutEvents"),
]


def normalise(value: Any) -> Any:
    """Members compared; an empty map botocore fills in for an absent header map dropped."""
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items() if v != {}}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


@pytest.mark.parametrize(
    ("service", "operation"), OPERATIONS, ids=[f"{s}-{o}" for s, o in OPERATIONS]
)
def test_any_members_round_trip(service: str, operation: str) -> None:
    """Lamina parses what botocore writes for generated members of this operation."""
    found = shapes.model(service).operation(operation)
    assert found is not None and found.input is not None

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(params=strategy(found.input))
    def check(params: dict[str, Any]) -> None:
        parsed = lamina_parse(service, operation, botocore_request(service, operation, params))
        assert normalise(parsed) == normalise(params)

    check()


RESULTS = [
    ("sts", "AssumeRole"),
    ("sts", "GetCallerIdentity"),
    ("sns", "ListSubscriptions"),
    ("sns", "GetSubscriptionAttributes"),
    ("iam", "GetRole"),
    ("iam", "ListRoles"),
    ("lambda", "GetFunction"),
    ("lambda", "ListFunctions"),
    ("lambda", "GetFunctionUrlConfig"),
    ("scheduler", "GetSchedule"),
    ("s3", "ListObjectsV2"),
    ("s3", "HeadObject"),
    ("s3", "GetBucketLifecycleConfiguration"),
    ("route53", "ListResourceRecordSets"),
    ("logs", "DescribeLogGroups"),
    ("dynamodb", "DescribeTable"),
    ("events", "ListRules"),
]


@pytest.mark.parametrize(("service", "operation"), RESULTS, ids=[f"{s}-{o}" for s, o in RESULTS])
def test_any_result_round_trips(service: str, operation: str) -> None:
    """botocore parses what Lamina serialises for generated results of this operation."""
    found = shapes.model(service).operation(operation)
    assert found is not None and found.output is not None

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(result=strategy(found.output))
    def check(result: dict[str, Any]) -> None:
        assert normalise(botocore_reads(service, operation, result)) == normalise(result)

    check()
