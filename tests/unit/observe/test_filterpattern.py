"""CloudWatch Logs filter patterns, with the examples of AWS's "Filter pattern syntax" page."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lamina.observe.filterpattern import FilterPatternError, compile_pattern

LINES = [
    "[ERROR 400] BAD REQUEST",
    "[ERROR 401] UNAUTHORIZED REQUEST",
    "[WARN 200] SUCCESSFUL REQUEST",
    "[ERROR 419] MISSING ARGUMENTS",
    "[INFO 200] OK",
]


def matching(pattern: str, lines: list[str]) -> list[str]:
    matches = compile_pattern(pattern)
    return [line for line in lines if matches(line)]


def test_terms_all_must_appear_case_sensitively() -> None:
    """Unquoted terms are ANDed; case matters."""
    assert matching("ERROR", LINES) == [LINES[0], LINES[1], LINES[3]]
    assert matching("ERROR ARGUMENTS", LINES) == [LINES[3]]
    assert matching("error", LINES) == []


def test_exclusion_alternatives_and_phrases() -> None:
    """-term excludes, ?term alternatives match any, quoted phrases match exactly."""
    assert matching("ERROR -ARGUMENTS", LINES) == [LINES[0], LINES[1]]
    assert matching("?ERROR ?WARN", LINES) == LINES[:4]
    assert matching('"BAD REQUEST"', LINES) == [LINES[0]]
    assert matching("", LINES) == LINES


def test_regular_expressions_between_percent_signs() -> None:
    """%regex% matches anywhere in the message."""
    assert matching("%4[0-9]{2}%", LINES) == [LINES[0], LINES[1], LINES[3]]


def test_json_patterns() -> None:
    """Selectors, comparisons, wildcards, && and ||, existence and IS NULL; non-JSON never
    matches."""
    docs = [
        '{"eventType": "UpdateTrail", "latency": 50, "user": {"id": "u-1"}, "tags": ["a", "b"]}',
        '{"eventType": "DeleteTrail", "latency": 150, "user": {"id": "admin"}, "err": null}',
        "plain text eventType",
    ]
    assert matching('{ $.eventType = "UpdateTrail" }', docs) == [docs[0]]
    assert matching('{ $.eventType != "UpdateTrail" }', docs) == [docs[1]]
    assert matching('{ $.eventType = "*Trail" }', docs) == docs[:2]
    assert matching("{ $.latency > 100 }", docs) == [docs[1]]
    assert matching("{ $.latency <= 50 }", docs) == [docs[0]]
    assert matching('{ ($.latency > 100) || ($.user.id = "u-*") }', docs) == docs[:2]
    assert matching('{ $.latency > 10 && $.user.id = "admin" }', docs) == [docs[1]]
    assert matching('{ $.tags[1] = "b" }', docs) == [docs[0]]
    assert matching("{ $.err IS NULL }", docs) == [docs[1]]
    assert matching("{ $.err NOT EXISTS }", docs) == [docs[0]]
    assert matching("{ $.err EXISTS }", docs) == [docs[1]]


@pytest.mark.parametrize("pattern", ["{ $.a = }", "{ $.a = 1", "{ = 1 }", "{ $.a ! 1 }", "%(%"])
def test_bad_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(FilterPatternError):
        compile_pattern(pattern)


def test_space_delimited_patterns_are_refused_by_name() -> None:
    with pytest.raises(FilterPatternError, match="space-delimited"):
        compile_pattern("[ip, user, status=404]")


@given(st.text(max_size=40), st.text(max_size=40))
def test_any_pattern_compiles_or_is_refused_cleanly(pattern: str, message: str) -> None:
    """Arbitrary input never crashes the parser or the matcher with anything else."""
    try:
        matches = compile_pattern(pattern)
    except FilterPatternError:
        return
    assert matches(message) in (True, False)
