"""The pattern index finds exactly the patterns that match, as testing each would, in the
order they were put, and after removals."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from lamina.patterns import PatternIndex, compile_pattern

WORDS = st.sampled_from(["a", "b", "c", "aws.ec2", "shop"])
FIELDS = st.sampled_from(["source", "detail-type", "x"])

RULES: st.SearchStrategy[list[Any]] = st.one_of(
    st.lists(WORDS, min_size=1, max_size=3),
    st.lists(st.one_of(WORDS, st.builds(lambda w: {"prefix": w}, WORDS)), min_size=1, max_size=3),
    st.just([{"exists": False}]),
    st.just([{"exists": True}]),
    st.builds(lambda w: [{"anything-but": w}], WORDS),
    st.just([1, "a"]),
)
PATTERNS = st.dictionaries(FIELDS, RULES, min_size=1, max_size=3).map(
    lambda p: p if len(p) > 1 or "x" not in p else {**p, "$or": [{"source": ["a"]}, {"x": ["b"]}]}
)
VALUES = st.one_of(WORDS, st.lists(WORDS, max_size=3), st.integers(0, 2), st.just({"a": "b"}))
DOCUMENTS = st.dictionaries(FIELDS, VALUES, max_size=3)


@settings(max_examples=300, deadline=None)
@given(
    patterns=st.lists(PATTERNS, min_size=1, max_size=12),
    documents=st.lists(DOCUMENTS, max_size=8),
    drop=st.sets(st.integers(0, 11)),
)
def test_the_index_agrees_with_testing_every_pattern(
    patterns: list[dict[str, Any]], documents: list[dict[str, Any]], drop: set[int]
) -> None:
    """For any patterns and documents: the same keys as matching each compiled pattern, in
    insertion order, also after some patterns are removed."""
    compiled = {i: compile_pattern(p) for i, p in enumerate(patterns)}
    index: PatternIndex[int] = PatternIndex()
    for key, pattern in compiled.items():
        index.put(key, pattern)
    for key in drop:
        index.remove(key)
    kept = [k for k in compiled if k not in drop]
    assert len(index) == len(kept)
    for document in documents:
        assert index.matching(document) == [k for k in kept if compiled[k].matches(document)]


def test_anchor_prefers_source_and_skips_fields_with_operators() -> None:
    """An anchor is a field of exact strings only: `source` before others; a prefix, a
    number or `exists` disqualifies a field; no qualifying field, no anchor."""
    assert compile_pattern({"x": ["a"], "source": ["s", "t"]}).anchor(("source",)) == (
        "source",
        frozenset({"s", "t"}),
    )
    assert compile_pattern({"source": [{"prefix": "a"}], "x": ["b"]}).anchor(("source",)) == (
        "x",
        frozenset({"b"}),
    )
    assert compile_pattern({"source": ["a", 1]}).anchor() is None
    assert compile_pattern({"detail": {"state": ["on"]}}).anchor() is None
