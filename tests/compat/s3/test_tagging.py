"""Tags through boto3: bucket tag sets, object tags set with PutObject's x-amz-tagging or
PutObjectTagging, counted on GetObject, copied or replaced by CopyObject, and S3's errors."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError


def _tags(answer: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in answer["TagSet"]}


def test_bucket_tags(s3: Any, bucket: str) -> None:
    """A bucket without tags is 404 NoSuchTagSet; put tags are answered; deleted ones gone."""
    with pytest.raises(ClientError) as raised:
        s3.get_bucket_tagging(Bucket=bucket)
    assert raised.value.response["Error"]["Code"] == "NoSuchTagSet"
    s3.put_bucket_tagging(
        Bucket=bucket,
        Tagging={"TagSet": [{"Key": "team", "Value": "data"}, {"Key": "env", "Value": ""}]},
    )
    assert _tags(s3.get_bucket_tagging(Bucket=bucket)) == {"team": "data", "env": ""}
    s3.delete_bucket_tagging(Bucket=bucket)
    with pytest.raises(ClientError):
        s3.get_bucket_tagging(Bucket=bucket)


def test_object_tags_follow_the_object(s3: Any, bucket: str) -> None:
    """x-amz-tagging on PutObject sets tags (URL-decoded); GetObject counts them;
    PutObjectTagging replaces them; CopyObject copies them or, with REPLACE, takes new ones;
    DeleteObjectTagging removes them."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="a=1&b=two%20words")
    assert _tags(s3.get_object_tagging(Bucket=bucket, Key="k")) == {"a": "1", "b": "two words"}
    assert s3.get_object(Bucket=bucket, Key="k")["TagCount"] == 2
    s3.copy_object(Bucket=bucket, Key="copied", CopySource=f"{bucket}/k")
    assert _tags(s3.get_object_tagging(Bucket=bucket, Key="copied")) == {
        "a": "1",
        "b": "two words",
    }
    s3.copy_object(
        Bucket=bucket,
        Key="replaced",
        CopySource=f"{bucket}/k",
        TaggingDirective="REPLACE",
        Tagging="c=3",
    )
    assert _tags(s3.get_object_tagging(Bucket=bucket, Key="replaced")) == {"c": "3"}
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": [{"Key": "z", "Value": "9"}]})
    assert _tags(s3.get_object_tagging(Bucket=bucket, Key="k")) == {"z": "9"}
    s3.delete_object_tagging(Bucket=bucket, Key="k")
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == []
    assert "TagCount" not in s3.head_object(Bucket=bucket, Key="k")


def test_bad_tag_sets_are_refused(s3: Any, bucket: str) -> None:
    """Eleven object tags are BadRequest; a repeated key is InvalidTag; a missing object is
    NoSuchKey."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    eleven = [{"Key": f"k{i}", "Value": "v"} for i in range(11)]
    with pytest.raises(ClientError) as raised:
        s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": eleven})
    assert raised.value.response["Error"]["Code"] == "BadRequest"
    twice = [{"Key": "same", "Value": "1"}, {"Key": "same", "Value": "2"}]
    with pytest.raises(ClientError) as raised:
        s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": twice})
    assert raised.value.response["Error"]["Code"] == "InvalidTag"
    with pytest.raises(ClientError) as raised:
        s3.get_object_tagging(Bucket=bucket, Key="missing")
    assert raised.value.response["Error"]["Code"] == "NoSuchKey"
