"""ARNs made and read in one place: Lambda's FunctionName forms, and any ARN's parts."""

from __future__ import annotations

import pytest

from lamina.model import arns


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("fn", ("fn", None)),
        ("fn:live", ("fn", "live")),
        ("123456789012:function:fn", ("fn", None)),
        ("arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST", ("fn", "$LATEST")),
        ("arn:aws-cn:lambda:cn-north-1:123456789012:function:fn:7", ("fn", "7")),
        ("not a name!", ("not a name!", None)),
    ],
)
def test_function_references_split_into_name_and_qualifier(
    given: str, expected: tuple[str, str | None]
) -> None:
    assert arns.split_function(given) == expected


def test_an_arn_reads_back_into_the_parts_it_was_made_of() -> None:
    text = arns.arn("dynamodb", "us-east-1", "123456789012", "table/t/stream/x:y")
    parsed = arns.parse(text)
    assert parsed is not None and str(parsed) == text
    assert parsed.resource == "table/t/stream/x:y"
    assert arns.service_of("arn:aws:sqs:us-east-1:1:q") == "sqs"
    assert arns.parse("sqs:q") is None and arns.service_of("q") == ""
    assert arns.function_arn("r", "1", "f", "live") == "arn:aws:lambda:r:1:function:f:live"
