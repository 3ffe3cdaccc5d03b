"""Frames survive any split of the byte stream."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lamina.runtime import wire


@given(
    bodies=st.lists(st.binary(max_size=300), min_size=1, max_size=5),
    cuts=st.lists(st.integers(min_value=1, max_value=50), max_size=20),
)
def test_reader_reassembles_frames_however_the_stream_is_cut(
    bodies: list[bytes], cuts: list[int]
) -> None:
    """Feeding the encoded frames in arbitrary chunks yields the same frames in order."""
    stream = b"".join(
        wire.encode(wire.INVOKE, {"id": str(i)}, body) for i, body in enumerate(bodies)
    )
    reader = wire.FrameReader()
    frames: list[wire.Frame] = []
    pos = 0
    for cut in cuts:
        frames += reader.feed(stream[pos : pos + cut])
        pos += cut
    frames += reader.feed(stream[pos:])
    assert [f.body for f in frames] == bodies
    assert [f.header["id"] for f in frames] == [str(i) for i in range(len(bodies))]
    assert reader.pending == 0


def test_decode_is_the_inverse_of_encode() -> None:
    """A whole datagram decodes to its kind, header and body."""
    frame = wire.decode(wire.encode(wire.SPAWN, {"ref": 3, "env": {"A": "b"}}, b"\x00\x01"))
    assert frame == wire.Frame(wire.SPAWN, {"ref": 3, "env": {"A": "b"}}, b"\x00\x01")
