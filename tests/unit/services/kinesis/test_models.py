"""Kinesis' pure rules: shards split the hash key space evenly as AWS's do, records route by
the MD5 of their partition key, sequence numbers and iterators read back what they encode."""

from __future__ import annotations

import hashlib
import itertools

from lamina.services.kinesis.models import (
    HASH_SPACE,
    Iterator,
    Stream,
    even_shards,
    hash_key,
    read_iterator,
    read_sequence,
    sequence_number,
    shard_id,
    shard_index,
)


def test_even_shards_cover_the_space_without_gaps() -> None:
    """Four shards start at multiples of 2**126 (AWS's ranges for 4 shards); consecutive ranges
    touch and the last ends at 2**128 - 1, also for a count that does not divide the space."""
    four = even_shards(4, 0)
    assert [s.start_hash for s in four] == [i * 2**126 for i in range(4)]
    for count in (1, 3, 7):
        shards = even_shards(count, 0)
        assert shards[0].start_hash == 0 and shards[-1].end_hash == HASH_SPACE - 1
        for low, high in itertools.pairwise(shards):
            assert low.end_hash + 1 == high.start_hash


def test_routing_by_md5_and_closed_shards() -> None:
    """A key goes to the open shard whose range holds the MD5 of it read as a big-endian
    integer; a closed shard takes nothing."""
    stream = Stream("s", "arn", 0.0, even_shards(2, 0))
    key = hash_key("user-7")
    assert key == int(hashlib.md5(b"user-7").hexdigest(), 16)
    expected = 0 if key < 2**127 else 1
    assert stream.route(key).index == expected
    stream.close(0, 10)
    stream.shards += even_shards(1, 10, first_index=2)
    assert stream.route(0).index == 2


def test_sequence_numbers_and_iterators_round_trip() -> None:
    """A sequence number is 56 digits carrying the shard index and position, increasing with
    the position; an iterator token reads back its fields; foreign text reads as None."""
    numbers = [sequence_number(1_700_000_000.5, 3, p) for p in (1, 2, 10, 999)]
    assert all(len(n) == 56 and n.isdigit() for n in numbers)
    assert [int(n) for n in numbers] == sorted(int(n) for n in numbers)
    assert read_sequence(numbers[2]) == (3, 10)
    assert read_sequence("12345") is None
    iterator = Iterator("s", 1.5, 2, 41, 100.25)
    assert read_iterator(iterator.token()) == iterator
    assert read_iterator("bm90IG91cnM=") is None
    assert read_iterator("***") is None
    assert (shard_id(12), shard_index("shardId-000000000012"), shard_index("x")) == (
        "shardId-000000000012",
        12,
        None,
    )
