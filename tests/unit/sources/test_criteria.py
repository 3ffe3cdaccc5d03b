"""FilterCriteria: a record reaches the function when any filter's pattern matches it; JSON
carried as text (an SQS body, Kinesis data) is matched as the JSON it holds."""

from __future__ import annotations

import base64
import json

from lamina.model.mappings import EventSourceMapping
from lamina.sources.criteria import compile_criteria


def _mapping(*patterns: object) -> EventSourceMapping:
    return EventSourceMapping(
        uuid="u",
        function="fn",
        qualifier=None,
        source_arn="arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x",
        batch_size=10,
        filters=tuple(json.dumps(p) for p in patterns),
    )


def test_no_filters_keep_everything() -> None:
    """A mapping without FilterCriteria has no filter at all."""
    assert compile_criteria(_mapping()) is None


def test_any_filter_matching_keeps_the_record() -> None:
    """Filters are ORed: INSERTs and MODIFYs of an order are kept, a REMOVE is not."""
    matches = compile_criteria(
        _mapping(
            {"eventName": ["INSERT"]},
            {"eventName": ["MODIFY"], "dynamodb": {"NewImage": {"kind": {"S": ["order"]}}}},
        )
    )
    assert matches is not None
    assert matches({"eventName": "INSERT", "dynamodb": {}})
    assert matches({"eventName": "MODIFY", "dynamodb": {"NewImage": {"kind": {"S": "order"}}}})
    assert not matches({"eventName": "MODIFY", "dynamodb": {"NewImage": {"kind": {"S": "x"}}}})
    assert not matches({"eventName": "REMOVE", "dynamodb": {}})


def test_json_bodies_and_kinesis_data_are_matched_as_json() -> None:
    """An SQS body holding JSON matches on its fields; a plain-text body matches as text;
    Kinesis data is decoded from base64 first and matched under the top-level ``data`` key, as
    Lambda's documented Kinesis patterns (``{"data": {...}}``) name it; text data as text."""
    matches = compile_criteria(_mapping({"body": {"kind": ["order"]}}, {"body": ["ping"]}))
    assert matches is not None
    assert matches({"body": json.dumps({"kind": "order"})})
    assert not matches({"body": json.dumps({"kind": "refund"})})
    assert matches({"body": "ping"})
    kinesis = compile_criteria(_mapping({"data": {"n": [{"numeric": [">", 1]}]}}, {"data": ["hi"]}))
    assert kinesis is not None
    data = base64.b64encode(json.dumps({"n": 5}).encode()).decode()
    assert kinesis({"kinesis": {"data": data}})
    assert not kinesis({"kinesis": {"data": base64.b64encode(b'{"n": 0}').decode()}})
    assert kinesis({"kinesis": {"data": base64.b64encode(b"hi").decode()}})
