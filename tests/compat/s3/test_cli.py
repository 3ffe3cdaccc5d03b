"""The AWS CLI against S3: `aws s3 mb/cp/ls/sync/rm/rb` and `aws s3api`, including a 20 MB copy
that the CLI splits into a multipart upload and downloads back byte for byte."""

from __future__ import annotations

import hashlib
import json
import os
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.compat.protocols.served import Served


def _ok(done: Any) -> str:
    assert done.returncode == 0, done.stderr
    return str(done.stdout)


def test_cp_ls_rm_round_trip(served: Served, tmp_path: Path) -> None:
    """mb makes a bucket; cp uploads a file; ls lists it with its size; cp downloads it
    unchanged; rm deletes it; rb removes the empty bucket."""
    source = tmp_path / "hello.txt"
    source.write_bytes(b"hello from the cli\n")
    _ok(served.cli("s3", "mb", "s3://cli-bucket"))
    _ok(served.cli("s3", "cp", str(source), "s3://cli-bucket/dir/hello.txt"))
    listing = _ok(served.cli("s3", "ls", "s3://cli-bucket/dir/"))
    assert "hello.txt" in listing and " 19 " in listing
    assert "PRE dir/" in _ok(served.cli("s3", "ls", "s3://cli-bucket"))
    back = tmp_path / "back.txt"
    _ok(served.cli("s3", "cp", "s3://cli-bucket/dir/hello.txt", str(back)))
    assert back.read_bytes() == source.read_bytes()
    _ok(served.cli("s3", "rm", "s3://cli-bucket/dir/hello.txt"))
    # Nothing listed: the CLI prints nothing and exits 1, as it does against AWS.
    assert served.cli("s3", "ls", "s3://cli-bucket/dir/").stdout == ""
    _ok(served.cli("s3", "rb", "s3://cli-bucket"))
    assert "cli-bucket" not in _ok(served.cli("s3", "ls"))


def test_a_20_mb_copy_goes_through_multipart(served: Served, tmp_path: Path) -> None:
    """`aws s3 cp` of 20 MB uploads in parts (the object's ETag ends in -N) and the download
    is the same bytes."""
    data = os.urandom(20 * 1024 * 1024)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    _ok(served.cli("s3", "mb", "s3://big-bucket"))
    _ok(served.cli("s3", "cp", str(source), "s3://big-bucket/big.bin"))
    head = json.loads(
        _ok(served.cli("s3api", "head-object", "--bucket", "big-bucket", "--key", "big.bin"))
    )
    assert head["ContentLength"] == len(data)
    assert head["ETag"].rstrip('"').rsplit("-", 1)[1].isdigit()
    back = tmp_path / "back.bin"
    _ok(served.cli("s3", "cp", "s3://big-bucket/big.bin", str(back)))
    assert hashlib.sha256(back.read_bytes()).digest() == hashlib.sha256(data).digest()


def test_sync_uploads_only_what_changed_and_recursive_rm(served: Served, tmp_path: Path) -> None:
    """`aws s3 sync` uploads a tree, a second sync uploads nothing, and `rm --recursive`
    empties the bucket (DeleteObjects)."""
    tree = tmp_path / "site"
    (tree / "css").mkdir(parents=True)
    (tree / "index.html").write_text("<h1>hi</h1>")
    (tree / "css" / "site.css").write_text("h1 { color: red }")
    # Edited a while ago: sync compares whole seconds, and a file written in the second of its
    # upload may look newer than the object (as it may against AWS).
    for path in (tree / "index.html", tree / "css" / "site.css"):
        os.utime(path, (time.time() - 60, time.time() - 60))
    _ok(served.cli("s3", "mb", "s3://site-bucket"))
    first = _ok(served.cli("s3", "sync", str(tree), "s3://site-bucket"))
    assert first.count("upload:") == 2
    assert _ok(served.cli("s3", "sync", str(tree), "s3://site-bucket")).count("upload:") == 0
    listed = json.loads(_ok(served.cli("s3api", "list-objects-v2", "--bucket", "site-bucket")))
    assert sorted(o["Key"] for o in listed["Contents"]) == ["css/site.css", "index.html"]
    _ok(served.cli("s3", "rm", "s3://site-bucket", "--recursive"))
    assert served.cli("s3", "ls", "s3://site-bucket").stdout == ""


def test_s3api_errors_print_s3s_code(served: Served) -> None:
    """`aws s3api get-object` of a missing key fails naming NoSuchKey."""
    _ok(served.cli("s3api", "create-bucket", "--bucket", "err-bucket"))
    done = served.cli("s3api", "get-object", "--bucket", "err-bucket", "--key", "nope", "/dev/null")
    assert done.returncode != 0
    assert "NoSuchKey" in done.stderr


def test_aws_s3_presign_url_downloads_with_urllib(served: Served, tmp_path: Path) -> None:
    """`aws s3 presign` makes a URL that urllib, holding no credentials, downloads the object
    with."""
    source = tmp_path / "shared.txt"
    source.write_bytes(b"presigned by the cli")
    _ok(served.cli("s3", "mb", "s3://presign-bucket"))
    _ok(served.cli("s3", "cp", str(source), "s3://presign-bucket/shared.txt"))
    url = _ok(served.cli("s3", "presign", "s3://presign-bucket/shared.txt")).strip()
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.read() == b"presigned by the cli"


def test_s3api_list_object_versions(served: Served) -> None:
    """`aws s3api list-object-versions` lists a versioned key's versions (newest latest) and
    its delete marker as the CLI prints them."""
    _ok(served.cli("s3", "mb", "s3://versions-bucket"))
    _ok(
        served.cli(
            "s3api",
            "put-bucket-versioning",
            "--bucket",
            "versions-bucket",
            "--versioning-configuration",
            "Status=Enabled",
        )
    )
    ids = [
        json.loads(
            _ok(served.cli("s3api", "put-object", "--bucket", "versions-bucket", "--key", "k"))
        )["VersionId"]
        for _ in range(2)
    ]
    _ok(served.cli("s3api", "delete-object", "--bucket", "versions-bucket", "--key", "k"))
    listed = json.loads(
        _ok(served.cli("s3api", "list-object-versions", "--bucket", "versions-bucket"))
    )
    assert [(v["VersionId"], v["IsLatest"]) for v in listed["Versions"]] == [
        (ids[1], False),
        (ids[0], False),
    ]
    (marker,) = listed["DeleteMarkers"]
    assert marker["Key"] == "k" and marker["IsLatest"] is True
