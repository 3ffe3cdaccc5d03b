"""Frames survive any split of the byte stream, and every message unpacks to what was packed."""

from __future__ import annotations

import json
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from lamina.runtime import wire

_TEXT = st.text(max_size=40)
_MAYBE = st.none() | _TEXT


@given(
    bodies=st.lists(st.binary(max_size=300), min_size=1, max_size=5),
    cuts=st.lists(st.integers(min_value=1, max_value=50), max_size=20),
)
def test_reader_reassembles_frames_however_the_stream_is_cut(
    bodies: list[bytes], cuts: list[int]
) -> None:
    """Feeding the packed frames in arbitrary chunks yields the same messages in order."""
    stream = b"".join(wire.Invoke(str(i), i, "arn").pack(body) for i, body in enumerate(bodies))
    reader = wire.FrameReader()
    frames: list[wire.Frame] = []
    pos = 0
    for cut in cuts:
        frames += reader.feed(stream[pos : pos + cut])
        pos += cut
    frames += reader.feed(stream[pos:])
    assert [f.body for f in frames] == bodies
    assert [wire.Invoke.unpack(f.header).request_id for f in frames] == [
        str(i) for i in range(len(bodies))
    ]
    assert reader.pending == 0


@given(
    invoke=st.builds(
        wire.Invoke,
        _TEXT,
        st.integers(min_value=0, max_value=2**53),
        _TEXT,
        _MAYBE,
        _MAYBE,
        _MAYBE,
        _MAYBE,
    ),
    body=st.binary(max_size=100),
)
def test_invoke_round_trips_whichever_side_encodes_it(invoke: wire.Invoke, body: bytes) -> None:
    """The engine packs an Invoke with orjson, the runtime with the standard library: the
    environment unpacks the same record from either, with its body untouched."""
    for dumps in (orjson.dumps, wire.dumps):
        frame = wire.decode(invoke.pack(body, dumps))
        assert frame.kind == wire.INVOKE
        assert wire.Invoke.unpack(frame.header) == invoke
        assert frame.body == body


@given(
    request_id=st.text(max_size=60),
    ms=st.floats(min_value=0, max_value=1e9),
    rss=st.integers(min_value=0, max_value=2**40),
    failed=st.booleans(),
)
def test_result_header_is_valid_json_for_any_request_id(
    request_id: str, ms: float, rss: int, failed: bool
) -> None:
    """Result's hand-formatted header parses (with orjson, as the engine reads it) back to the
    same record, quotes and non-ASCII in the request id included; ``failed`` picks ERROR."""
    packed = wire.Result(request_id, ms, rss).pack(b"body", failed)
    frame = wire.FrameReader(orjson.loads).feed(packed)[0]
    assert frame.kind == (wire.ERROR if failed else wire.RESULT)
    assert wire.Result.unpack(frame.header) == wire.Result(request_id, ms, rss)
    assert frame.body == b"body"


def test_control_messages_round_trip() -> None:
    """Every message of the zygote's socket and of init decodes to the record that was sent,
    under the kind its receiver dispatches on."""
    spawn = wire.Spawn(
        3, {"A": "b"}, "/code", ["/code", "/opt/python"], "app.handler", "/tmp/e", "JSON",
        "INFO", 1 << 30, False,
    )  # fmt: skip
    cases: list[tuple[bytes, bytes, Any, Any]] = [
        (spawn.pack(orjson.dumps), wire.SPAWN, wire.Spawn, spawn),
        (wire.Spawned(3, 42).pack(), wire.SPAWNED, wire.Spawned, wire.Spawned(3, 42)),
        (wire.Exited(42, -9).pack(), wire.EXITED, wire.Exited, wire.Exited(42, -9)),
        (wire.ZygoteReady(7).pack(), wire.READY, wire.ZygoteReady, wire.ZygoteReady(7)),
        (wire.Ready(1.5, 900).pack(), wire.READY, wire.Ready, wire.Ready(1.5, 900)),
    ]
    for packed, kind, message, expected in cases:
        frame = wire.decode(packed)
        assert frame.kind == kind
        assert message.unpack(frame.header) == expected
    failed = wire.decode(wire.Ready(2.0, 1).pack(b'{"errorType":"x"}', failed=True))
    assert failed.kind == wire.INIT_ERROR and failed.body == b'{"errorType":"x"}'


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def _outcome(parse: Any, data: bytes) -> tuple[str, Any]:
    try:
        return "ok", parse(data)
    except ValueError as exc:
        return type(exc).__name__, str(exc)


@given(
    document=_JSON,
    before=st.sampled_from(["", " ", "\n", "\ufeff"]),
    after=st.sampled_from(["", " ", "x", "}"]),
)
def test_loads_answers_as_json_loads_does(document: Any, before: str, after: str) -> None:
    """wire.loads (the event and header parser inside environments) accepts, refuses and
    words its refusals exactly as json.loads: whitespace, a BOM and trailing garbage included."""
    data = (before + json.dumps(document) + after).encode()
    assert _outcome(wire.loads, data) == _outcome(json.loads, data)


@given(data=st.binary(max_size=40))
def test_loads_on_arbitrary_bytes_matches_json_loads(data: bytes) -> None:
    """Invalid UTF-8, control characters and fragments get json.loads' own answer."""
    assert _outcome(wire.loads, data) == _outcome(json.loads, data)
