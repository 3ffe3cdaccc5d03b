"""Buckets through boto3: create with AWS's naming rules, list, head, location, delete only when
empty, and the errors S3 answers for each mistake."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError


def _code(raised: pytest.ExceptionInfo[ClientError]) -> str:
    return str(raised.value.response["Error"]["Code"])


def test_created_buckets_are_listed_and_found(s3: Any) -> None:
    """CreateBucket answers the bucket's Location; ListBuckets lists it; HeadBucket finds it
    and names its region."""
    assert s3.create_bucket(Bucket="alpha")["Location"] == "/alpha"
    s3.create_bucket(
        Bucket="beta-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert names == ["alpha", "beta-eu"]
    head = s3.head_bucket(Bucket="beta-eu")
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert head["BucketRegion"] == "eu-west-1"


def test_location_is_empty_for_us_east_1_and_the_region_elsewhere(s3: Any) -> None:
    """GetBucketLocation answers no constraint for us-east-1 (as S3 does) and the region
    otherwise."""
    s3.create_bucket(Bucket="here")
    s3.create_bucket(Bucket="there", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert s3.get_bucket_location(Bucket="here")["LocationConstraint"] is None
    assert s3.get_bucket_location(Bucket="there")["LocationConstraint"] == "eu-west-1"


def test_creating_a_bucket_twice_is_bucket_already_owned_by_you(s3: Any) -> None:
    """A second CreateBucket of the same name is 409 BucketAlreadyOwnedByYou."""
    s3.create_bucket(Bucket="twice")
    with pytest.raises(ClientError) as raised:
        s3.create_bucket(Bucket="twice")
    assert _code(raised) == "BucketAlreadyOwnedByYou"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


@pytest.mark.parametrize(
    "name",
    [
        "ab",
        "a" * 64,
        "bad..dots",
        "-leading",
        "trailing-",
        "192.168.5.4",
        "xn--punycode",
        "name-s3alias",
        "Upper-Case",
        "under_score",
    ],
)
def test_names_breaking_aws_rules_are_invalid_bucket_name(s3: Any, name: str) -> None:
    """Names AWS refuses (length, characters, ends, adjacent dots, IP form, reserved prefixes
    and suffixes) are 400 InvalidBucketName, and no bucket is made."""
    with pytest.raises(ClientError) as raised:
        s3.create_bucket(Bucket=name)
    assert _code(raised) == "InvalidBucketName"
    assert s3.list_buckets()["Buckets"] == []


def test_a_bucket_with_objects_is_not_deleted(s3: Any) -> None:
    """DeleteBucket of a bucket holding an object is 409 BucketNotEmpty; once emptied it is
    deleted (204) and HeadBucket then answers 404."""
    s3.create_bucket(Bucket="full")
    s3.put_object(Bucket="full", Key="k", Body=b"x")
    with pytest.raises(ClientError) as raised:
        s3.delete_bucket(Bucket="full")
    assert _code(raised) == "BucketNotEmpty"
    s3.delete_object(Bucket="full", Key="k")
    assert s3.delete_bucket(Bucket="full")["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as raised:
        s3.head_bucket(Bucket="full")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_operations_on_a_missing_bucket_are_no_such_bucket(s3: Any) -> None:
    """Listing, writing to and deleting a bucket that does not exist is 404 NoSuchBucket."""
    for call in (
        lambda: s3.list_objects_v2(Bucket="missing"),
        lambda: s3.put_object(Bucket="missing", Key="k", Body=b"x"),
        lambda: s3.delete_bucket(Bucket="missing"),
        lambda: s3.get_bucket_location(Bucket="missing"),
    ):
        with pytest.raises(ClientError) as raised:
            call()
        assert _code(raised) == "NoSuchBucket"


def test_versioning_is_recorded(s3: Any, bucket: str) -> None:
    """PutBucketVersioning's status is answered by GetBucketVersioning."""
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"


def test_an_unserved_bucket_operation_is_not_implemented_naming_it(s3: Any, bucket: str) -> None:
    """Website hosting is not served: 501 NotImplemented whose message names
    s3:PutBucketWebsite."""
    with pytest.raises(ClientError) as raised:
        s3.put_bucket_website(
            Bucket=bucket,
            WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}},
        )
    assert _code(raised) == "NotImplemented"
    assert "s3:PutBucketWebsite" in raised.value.response["Error"]["Message"]
