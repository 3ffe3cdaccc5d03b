"""The one JSON codec: orjson's speed, the standard library's tolerance and byte forms."""

from __future__ import annotations

import json
import math

import pytest

from lamina import fastjson


def test_loads_accepts_what_pythons_json_writes() -> None:
    """A function's result may hold NaN or integers beyond 64 bits (json.dumps writes them):
    the codec reads them back as Lambda's runtime does."""
    doc = fastjson.loads(json.dumps({"big": 2**80, "nan": math.nan}))
    assert doc["big"] == 2**80
    assert math.isnan(doc["nan"])
    with pytest.raises(ValueError):
        fastjson.loads(b"{not json")


def test_dumps_is_compact_and_falls_back_for_what_orjson_refuses() -> None:
    """Compact bytes; a big integer or a lone surrogate (both valid to json) still write."""
    assert fastjson.dumps({"a": [1, "é"]}) == '{"a":[1,"é"]}'.encode()
    assert fastjson.dumps({"big": 2**80}) == b'{"big":1208925819614629174706176}'
    assert json.loads(fastjson.dumps({"s": "\ud800"}).decode("utf-8", "surrogatepass")) == {
        "s": "\ud800"
    }
    assert fastjson.dumps({"b": 1, "a": 2}, sort_keys=True) == b'{"a":2,"b":1}'
    assert fastjson.dumps_text({"x": object()}, default=lambda o: "obj") == '{"x":"obj"}'


def test_spaced_is_the_standard_librarys_default_form() -> None:
    """Bodies AWS writes with Python's json (API Gateway's errors) keep their exact bytes."""
    doc = {"message": "Not Found", "n": [1, 2], "é": "ü"}
    assert (
        fastjson.spaced(doc)
        == json.dumps(doc)
        == ('{"message": "Not Found", "n": [1, 2], "\\u00e9": "\\u00fc"}')
    )
    assert fastjson.pretty({"a": 1}) == '{\n  "a": 1\n}'
