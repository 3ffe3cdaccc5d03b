"""JSONPath in Jayway's dialect as Step Functions reads it: the steps it supports, Jayway's
rendering in error causes, setting a value for ResultPath, and round trips (hypothesis)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lamina.states.jsonpath import NoResults, PathError, compile

STORE = {
    "store": {
        "book": [
            {"category": "reference", "author": "Nigel Rees", "price": 8.95},
            {"category": "fiction", "author": "Evelyn Waugh", "price": 12.99},
            {
                "category": "fiction",
                "author": "Herman Melville",
                "isbn": "0-553-21311-3",
                "price": 8.99,
            },
        ],
        "bicycle": {"color": "red", "price": 19.95},
    },
    "odd key": {"a.b": 1},
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", STORE),
        ("$.store.bicycle.color", "red"),
        ("$['store']['bicycle']['color']", "red"),
        ("$.store.book[0].author", "Nigel Rees"),
        ("$.store.book[-1].price", 8.99),
        ("$.store.book[*].author", ["Nigel Rees", "Evelyn Waugh", "Herman Melville"]),
        ("$.store.book[0:2].price", [8.95, 12.99]),
        ("$.store.book[0,2].price", [8.95, 8.99]),
        ("$..price", [8.95, 12.99, 8.99, 19.95]),
        ("$.store.book[?(@.isbn)].author", ["Herman Melville"]),
        ("$.store.book[?(@.price < 10)].author", ["Nigel Rees", "Herman Melville"]),
        ("$.store.book[?(@.category == 'fiction')].price", [12.99, 8.99]),
        ("$.store.bicycle.*", ["red", 19.95]),
        ("$['odd key']['a.b']", 1),
    ],
)
def test_paths(path: str, expected: Any) -> None:
    """Each kind of step selects what Jayway's JSONPath selects."""
    assert compile(path).get(STORE) == expected


@pytest.mark.parametrize(
    ("path", "rendered"),
    [("$.x", "$['x']"), ("$.a.b[0]", "$['a']['b'][0]"), ("$.a[*]", "$['a'][*]"), ("$", "$")],
)
def test_render_matches_jayway(path: str, rendered: str) -> None:
    """A path is printed as Jayway prints it in AWS's "No results for path" causes."""
    assert compile(path).render() == rendered


def test_definite_paths_name_nothing_loudly() -> None:
    """A definite path with no value raises NoResults; an indefinite one gives an empty list."""
    with pytest.raises(NoResults):
        compile("$.store.car").get(STORE)
    with pytest.raises(NoResults):
        compile("$.store.book[7]").get(STORE)
    assert compile("$.store.car[*]").get(STORE) == []


@pytest.mark.parametrize("text", ["", "x", "$.", "$[", "$['a'", "$.a[1:x]", "$$.a", "$.a b"])
def test_not_paths(text: str) -> None:
    """Text that is not a JSONPath is refused when compiled."""
    with pytest.raises(PathError):
        compile(text)


def test_set_refuses_what_it_cannot_reach() -> None:
    """Setting through a non-object or past a list's end is refused (ResultPathMatchFailure)."""
    with pytest.raises(NoResults):
        compile("$.a.b").set({"a": 1}, 2)
    with pytest.raises(NoResults):
        compile("$.a[3]").set({"a": [1]}, 2)
    assert compile("$.a[0].b").set({"a": [{}]}, 2) == {"a": [{"b": 2}]}


keys = st.text(
    alphabet=st.characters(blacklist_characters="'\\", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=8,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=8,
)


@given(
    document=st.dictionaries(keys, json_values, max_size=4),
    route=st.lists(keys, min_size=1, max_size=4),
    value=json_values,
)
def test_set_then_get_round_trips(document: dict[str, Any], route: list[str], value: Any) -> None:
    """Whatever ResultPath sets at a path of fields, reading that path returns it, and the
    document it was set in is left unchanged."""
    path = compile("$" + "".join(f"['{key}']" for key in route))
    before = repr(document)
    try:
        updated = path.set(document, value)
    except NoResults:
        return  # a step went through a non-object: refused, as ResultPath is
    assert path.get(updated) == value
    assert repr(document) == before
