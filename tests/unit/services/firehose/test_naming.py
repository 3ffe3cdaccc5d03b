"""Firehose's object keys: the default UTC hour path, timestamp and random-string expressions,
the error output prefix, and the expressions Lamina refuses by name."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from lamina.services.firehose import naming

MOMENT = dt.datetime(2026, 3, 7, 9, 5, 4, tzinfo=dt.UTC)


def test_default_key_has_the_hour_path_and_firehoses_name() -> None:
    """prefix + YYYY/MM/DD/HH/ + stream-1-YYYY-MM-DD-HH-MM-SS-uuid, .gz when compressed."""
    key = naming.object_key("raw/", "orders", MOMENT, gzip=True)
    assert re.fullmatch(r"raw/2026/03/07/09/orders-1-2026-03-07-09-05-04-[0-9a-f-]{36}\.gz", key)


def test_expressions_replace_the_default_path() -> None:
    """!{timestamp:...} takes Java's pattern letters; random strings differ per key; an error
    prefix names the error type; without one, errors go under prefix + processing-failed/."""
    key = naming.evaluate("y=!{timestamp:yyyy}/m=!{timestamp:MM}/d=!{timestamp:dd}/", MOMENT)
    assert key == "y=2026/m=03/d=07/"
    first = naming.evaluate("!{firehose:random-string}/", MOMENT)
    assert first != naming.evaluate("!{firehose:random-string}/", MOMENT)
    error = naming.error_key(
        "raw/", "e/!{firehose:error-output-type}/", "s", MOMENT, "processing-failed"
    )
    assert error.startswith("e/processing-failed/s-1-2026-03-07-09-05-04-")
    fallback = naming.error_key("raw/", None, "s", MOMENT, "processing-failed")
    assert fallback.startswith("raw/processing-failed/2026/03/07/09/s-1-")


def test_unsupported_expressions_are_named() -> None:
    """Dynamic partitioning's expressions and an error-output-type in the main prefix are
    refused with the expression named."""
    with pytest.raises(naming.PrefixError, match="partitionKeyFromQuery:id"):
        naming.check("!{partitionKeyFromQuery:id}/")
    with pytest.raises(naming.PrefixError):
        naming.check("!{firehose:error-output-type}/")
    naming.check("!{firehose:error-output-type}/", error_prefix=True)
