"""ListObjects v1 and v2 through boto3: prefix, delimiter with CommonPrefixes, start-after,
markers and continuation tokens paging through every key exactly once, max-keys, and
encoding-type=url (which botocore asks for and decodes)."""

from __future__ import annotations

from typing import Any

import pytest

KEYS = [
    "a.txt",
    "photos/2024/jan/1.jpg",
    "photos/2024/jan/2.jpg",
    "photos/2024/feb/1.jpg",
    "photos/2025/mar/1.jpg",
    "photos/index.html",
    "videos/1.mp4",
    "z.txt",
]


@pytest.fixture
def filled(s3: Any, bucket: str) -> str:
    for key in KEYS:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    return bucket


def test_prefix_and_delimiter_roll_keys_into_common_prefixes(s3: Any, filled: str) -> None:
    """With Delimiter '/', keys under a folder are one CommonPrefixes entry each; with a
    Prefix, only keys under it are listed and the roll-up starts after it."""
    top = s3.list_objects_v2(Bucket=filled, Delimiter="/")
    assert [o["Key"] for o in top["Contents"]] == ["a.txt", "z.txt"]
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["photos/", "videos/"]
    assert top["KeyCount"] == 4
    photos = s3.list_objects_v2(Bucket=filled, Prefix="photos/", Delimiter="/")
    assert [o["Key"] for o in photos["Contents"]] == ["photos/index.html"]
    assert [p["Prefix"] for p in photos["CommonPrefixes"]] == ["photos/2024/", "photos/2025/"]
    v1 = s3.list_objects(Bucket=filled, Prefix="photos/2024/", Delimiter="/")
    assert [p["Prefix"] for p in v1["CommonPrefixes"]] == ["photos/2024/feb/", "photos/2024/jan/"]
    assert "Contents" not in v1


def test_start_after_lists_only_later_keys(s3: Any, filled: str) -> None:
    """StartAfter lists the keys after it, in order; the answer echoes it."""
    answer = s3.list_objects_v2(Bucket=filled, StartAfter="photos/index.html")
    assert [o["Key"] for o in answer["Contents"]] == ["videos/1.mp4", "z.txt"]
    assert answer["StartAfter"] == "photos/index.html"


@pytest.mark.parametrize("delimiter", ["", "/"])
def test_continuation_tokens_page_through_everything_once(
    s3: Any, filled: str, delimiter: str
) -> None:
    """Pages of MaxKeys=2, followed by NextContinuationToken, list every key and common
    prefix exactly once, each page truncated but the last."""
    seen: list[str] = []
    kwargs: dict[str, Any] = {"Bucket": filled, "MaxKeys": 2, "Delimiter": delimiter}
    while True:
        page = s3.list_objects_v2(**kwargs)
        assert page["KeyCount"] <= 2
        seen += [o["Key"] for o in page.get("Contents", [])]
        seen += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        if not page["IsTruncated"]:
            break
        kwargs["ContinuationToken"] = page["NextContinuationToken"]
    expected = KEYS if not delimiter else ["a.txt", "photos/", "videos/", "z.txt"]
    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(expected)


def test_the_paginator_and_v1_markers_list_everything(s3: Any, filled: str) -> None:
    """boto3's paginators (v2 tokens, v1 markers) list all keys in order."""
    v2 = s3.get_paginator("list_objects_v2").paginate(
        Bucket=filled, PaginationConfig={"PageSize": 3}
    )
    assert [o["Key"] for page in v2 for o in page["Contents"]] == sorted(KEYS)
    v1 = s3.get_paginator("list_objects").paginate(Bucket=filled, PaginationConfig={"PageSize": 3})
    assert [o["Key"] for page in v1 for o in page["Contents"]] == sorted(KEYS)
    first = s3.list_objects(Bucket=filled, MaxKeys=3)
    assert first["IsTruncated"] is True
    rest = s3.list_objects(Bucket=filled, Marker=first["Contents"][-1]["Key"])
    assert [o["Key"] for o in rest["Contents"]] == sorted(KEYS)[3:]


def test_max_keys_zero_lists_nothing(s3: Any, filled: str) -> None:
    """MaxKeys=0 answers no keys, truncated (there are keys)."""
    answer = s3.list_objects_v2(Bucket=filled, MaxKeys=0)
    assert "Contents" not in answer
    assert answer["IsTruncated"] is True


def test_url_encoded_listings_decode_to_the_keys(s3: Any, bucket: str) -> None:
    """Keys with characters XML cannot carry or URLs reserve come back exactly, through
    encoding-type=url (botocore's default for listings) and without it."""
    keys = ["sp ace", "plus+sign", "amp&er", "ctl\x01char", "ünïcode"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert sorted(listed) == sorted(keys)
    raw = s3.list_objects(Bucket=bucket, EncodingType="url")
    assert raw["EncodingType"] == "url"


def test_a_key_equal_to_the_prefix_is_listed(s3: Any, bucket: str) -> None:
    """A "folder" object whose key is the prefix itself is listed under that prefix, keys
    sorting before and after the prefix are not, and StartAfter before the prefix changes
    nothing."""
    for key in ("folder", "folder/", "folder/a", "folder0", "fold"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    for start_after in ("", "a", "folder"):
        answer = s3.list_objects_v2(Bucket=bucket, Prefix="folder/", StartAfter=start_after)
        assert [o["Key"] for o in answer["Contents"]] == ["folder/", "folder/a"]
