"""Every intrinsic function against the example AWS documents for it
(https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html), the call syntax
(nesting, quoting, escapes, context and variable paths) and the failures they raise."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lamina.states import Scope, StatesError
from lamina.states.intrinsics import IntrinsicSyntaxError, compile
from lamina.states.payload import template

NINE = [1, 2, 3, 4, 5, 6, 7, 8, 9]

DOCUMENTED: list[tuple[str, Any, Any]] = [
    ("States.Format('Hello, my name is {}.', $.name)", {"name": "Arnav"}, "Hello, my name is Arnav."),
    ("States.StringToJson($.escapedJsonString)", {"escapedJsonString": '{"foo": "bar"}'}, {"foo": "bar"}),
    ("States.JsonToString($.unescapedJson)", {"unescapedJson": {"foo": "bar"}}, '{"foo":"bar"}'),
    (
        "States.Array('Foo', 2020, $.someJson, null)",
        {"someJson": {"random": "abcdefg"}},
        ["Foo", 2020, {"random": "abcdefg"}, None],
    ),
    ("States.ArrayPartition($.inputArray,4)", {"inputArray": NINE}, [[1, 2, 3, 4], [5, 6, 7, 8], [9]]),
    ("States.ArrayContains($.inputArray, $.lookingFor)", {"inputArray": NINE, "lookingFor": 5}, True),
    ("States.ArrayRange(1, 9, 2)", {}, [1, 3, 5, 7, 9]),
    ("States.ArrayGetItem($.inputArray, $.index)", {"inputArray": NINE, "index": 5}, 6),
    ("States.ArrayLength($.inputArray)", {"inputArray": NINE}, 9),
    ("States.ArrayUnique($.inputArray)", {"inputArray": [1, 2, 3, 3, 3, 3, 3, 3, 4]}, [1, 2, 3, 4]),
    ("States.Base64Encode($.input)", {"input": "Data to encode"}, "RGF0YSB0byBlbmNvZGU="),
    ("States.Base64Decode($.base64)", {"base64": "RGF0YSB0byBlbmNvZGU="}, "Data to encode"),
    (
        "States.Hash($.Data, $.Algorithm)",
        {"Data": "input data", "Algorithm": "SHA-1"},
        "aaff4a450a104cd177d28d18d74485e8cae074b7",
    ),
    (
        "States.JsonMerge($.json1, $.json2, false)",
        {"json1": {"a": {"a1": 1, "a2": 2}, "b": 2}, "json2": {"a": {"a3": 1, "a4": 2}, "c": 3}},
        {"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3},
    ),
    ("States.MathAdd($.value1, $.step)", {"value1": 111, "step": -1}, 110),
    (
        "States.StringSplit($.inputString, $.splitter)",
        {"inputString": "1,2,3,4,5", "splitter": ","},
        ["1", "2", "3", "4", "5"],
    ),
    (
        "States.StringSplit($.inputString, $.splitter)",
        {"inputString": "This.is+a,test=string", "splitter": ".+,="},
        ["This", "is", "a", "test", "string"],
    ),
    # The call syntax: nesting, escapes, the context object and variables.
    ("States.Format('{} is {}', States.ArrayGetItem($.a, 0), States.ArrayLength($.a))", {"a": ["x"]}, "x is 1"),
    ("States.Format('\\{\\} is {}, it\\'s \\\\', $.v)", {"v": 1}, "{} is 1, it's \\"),
    ("States.Format('{} {} {}', true, null, 1.5)", {}, "true null 1.5"),
    ("States.JsonToString(States.Array($$.Execution.Id, $count))", {}, '["exec-1",3]'),
    ("States.ArrayRange(9, 1, -4)", {}, [9, 5, 1]),
    ("States.Hash('', 'MD5')", {}, "d41d8cd98f00b204e9800998ecf8427e"),
]  # fmt: skip

SCOPE = Scope(context={"Execution": {"Id": "exec-1"}}, variables={"count": 3})


def call(text: str, document: Any, scope: Scope = SCOPE) -> Any:
    return template({"v.$": text}, document, scope)["v"]


@pytest.mark.parametrize(("text", "document", "expected"), DOCUMENTED)
def test_documented_examples(text: str, document: Any, expected: Any) -> None:
    """Each intrinsic returns what AWS's documentation shows for its example input."""
    assert call(text, document) == expected


def test_math_random_stays_in_range_and_a_seed_repeats() -> None:
    """MathRandom picks from [start, end) and a seed makes it deterministic."""
    values = {call("States.MathRandom($.start, $.end)", {"start": 1, "end": 4}) for _ in range(200)}
    assert values <= {1, 2, 3}
    seeded = [call("States.MathRandom(1, 1000, 7)", {}) for _ in range(3)]
    assert len(set(seeded)) == 1


def test_uuid_is_version_4() -> None:
    """UUID returns a fresh version-4 UUID each call."""
    first, second = call("States.UUID()", {}), call("States.UUID()", {})
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", first
    )
    assert first != second


FAILURES = [
    "States.ArrayGetItem($.a, 5)",
    "States.ArrayRange(1, 2000, 1)",
    "States.ArrayRange(1, 5, 0)",
    "States.ArrayPartition($.a, 0)",
    "States.Format('{} {}', 1)",
    "States.Format('{}', 1, 2)",
    "States.Format('{}', $.a)",
    "States.StringToJson('not json')",
    "States.Base64Decode('***')",
    "States.Hash('x', 'SHA-2')",
    "States.JsonMerge($.o, $.o, true)",
    "States.MathAdd(1, 2.5)",
    "States.MathRandom(5, 5)",
    "States.ArrayLength(1)",
]


@pytest.mark.parametrize("text", FAILURES)
def test_bad_arguments_fail_with_intrinsic_failure(text: str) -> None:
    """An argument an intrinsic refuses fails the state with States.IntrinsicFailure."""
    with pytest.raises(StatesError) as caught:
        call(text, {"a": [1, 2], "o": {}})
    assert caught.value.error == "States.IntrinsicFailure"


def test_a_missing_path_argument_is_a_runtime_error() -> None:
    """An argument path that names nothing fails with States.Runtime, AWS's cause text."""
    with pytest.raises(StatesError) as caught:
        call("States.Format('{}', $.missing)", {})
    assert caught.value.error == "States.Runtime"
    assert caught.value.cause == "Invalid path '$.missing' : No results for path: $['missing']"


@pytest.mark.parametrize(
    "text",
    [
        "States.Nope()",
        "States.Format('x'",
        "States.Format('x') trailing",
        "States.Array(1,,2)",
        "Format()",
    ],
)
def test_syntax_errors(text: str) -> None:
    """Text that is not a call of a known intrinsic is refused by the parser."""
    with pytest.raises(IntrinsicSyntaxError):
        compile(text)


def quoted(text: str) -> str:
    """``text`` as an intrinsic string literal, every special character escaped."""
    for char in "\\'{}":
        text = text.replace(char, "\\" + char)
    return "'" + text + "'"


@given(st.text(max_size=30), st.lists(st.integers() | st.text(max_size=5), max_size=3))
def test_format_round_trips_any_escaped_text(text: str, values: list[Any]) -> None:
    """Any text, quoted with escapes, reads back exactly; each {} takes the next argument."""
    assert call(f"States.Format({quoted(text)})", {}) == text
    literal = quoted(text)[1:-1]
    template = "'" + "{}".join(literal for _ in range(len(values) + 1)) + "'"
    args = "".join(f", $.v{i}" for i in range(len(values)))
    document = {f"v{i}": value for i, value in enumerate(values)}
    expected = text + "".join(str(value) + text for value in values)
    assert call(f"States.Format({template}{args})", document) == expected
