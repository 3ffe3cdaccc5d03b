"""Multipart uploads through boto3: parts listed, completed into one object whose ETag is AWS's
(MD5 of the parts' MD5s, "-N"), aborted, and the errors S3 answers for a bad part list."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from botocore.exceptions import ClientError

MIB = 1024 * 1024


def _parts(s3: Any, bucket: str, key: str, upload_id: str, bodies: list[bytes]) -> list[dict]:
    done = []
    for number, body in enumerate(bodies, start=1):
        answer = s3.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body
        )
        done.append({"PartNumber": number, "ETag": answer["ETag"]})
    return done


def test_a_completed_upload_is_one_object_with_aws_etag(s3: Any, bucket: str) -> None:
    """Parts uploaded, listed (ListParts, ListMultipartUploads), then completed: the object is
    the parts in order, with the metadata given at creation and ETag md5(md5s)-N; the upload
    is gone afterwards."""
    bodies = [b"a" * (5 * MIB), b"b" * (5 * MIB), b"tail"]
    created = s3.create_multipart_upload(
        Bucket=bucket, Key="big.bin", ContentType="application/x-big", Metadata={"m": "1"}
    )
    upload_id = created["UploadId"]
    parts = _parts(s3, bucket, "big.bin", upload_id, bodies)
    listed = s3.list_parts(Bucket=bucket, Key="big.bin", UploadId=upload_id)
    assert [(p["PartNumber"], p["Size"]) for p in listed["Parts"]] == [
        (1, 5 * MIB),
        (2, 5 * MIB),
        (3, 4),
    ]
    uploads = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [("big.bin", upload_id)]
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="big.bin", UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    md5s = b"".join(hashlib.md5(b).digest() for b in bodies)
    assert done["ETag"] == f'"{hashlib.md5(md5s).hexdigest()}-3"'
    got = s3.get_object(Bucket=bucket, Key="big.bin")
    assert got["Body"].read() == b"".join(bodies)
    assert got["ETag"] == done["ETag"]
    assert got["ContentType"] == "application/x-big"
    assert got["Metadata"] == {"m": "1"}
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)


def test_an_aborted_upload_is_gone(s3: Any, bucket: str) -> None:
    """AbortMultipartUpload (204) forgets the upload: ListParts is then 404 NoSuchUpload and
    no object was made."""
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    _parts(s3, bucket, "k", upload_id, [b"x"])
    aborted = s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id)
    assert aborted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as raised:
        s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)
    assert raised.value.response["Error"]["Code"] == "NoSuchUpload"
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_bad_part_lists_are_refused(s3: Any, bucket: str) -> None:
    """Completing with a part too small (not last) is EntityTooSmall, with parts out of order
    InvalidPartOrder, with a wrong ETag InvalidPart; the upload survives each refusal."""
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    parts = _parts(s3, bucket, "k", upload_id, [b"small", b"also small"])

    def complete(given: list[dict]) -> str:
        with pytest.raises(ClientError) as raised:
            s3.complete_multipart_upload(
                Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": given}
            )
        return str(raised.value.response["Error"]["Code"])

    assert complete(parts) == "EntityTooSmall"
    assert complete(list(reversed(parts))) == "InvalidPartOrder"
    assert complete([{"PartNumber": 1, "ETag": '"00"'}]) == "InvalidPart"
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": parts[:1]}
    )
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"small"
    assert done["ETag"].endswith('-1"')


def test_a_bucket_with_an_upload_in_progress_is_not_empty(s3: Any, bucket: str) -> None:
    """DeleteBucket while an upload is in progress is BucketNotEmpty."""
    s3.create_multipart_upload(Bucket=bucket, Key="k")
    with pytest.raises(ClientError) as raised:
        s3.delete_bucket(Bucket=bucket)
    assert raised.value.response["Error"]["Code"] == "BucketNotEmpty"


def test_parts_copied_from_objects(s3: Any, bucket: str) -> None:
    """UploadPartCopy copies a whole object or a byte range of one as a part; a range past the
    source's end is InvalidArgument."""
    source = bytes(range(256)) * (24 * 1024)  # 6 MiB
    s3.put_object(Bucket=bucket, Key="source", Body=source)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="joined")["UploadId"]
    whole = s3.upload_part_copy(
        Bucket=bucket,
        Key="joined",
        UploadId=upload_id,
        PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "source"},
    )
    ranged = s3.upload_part_copy(
        Bucket=bucket,
        Key="joined",
        UploadId=upload_id,
        PartNumber=2,
        CopySource=f"{bucket}/source",
        CopySourceRange="bytes=10-19",
    )
    assert ranged["CopyPartResult"]["ETag"] == f'"{hashlib.md5(source[10:20]).hexdigest()}"'
    with pytest.raises(ClientError) as raised:
        s3.upload_part_copy(
            Bucket=bucket,
            Key="joined",
            UploadId=upload_id,
            PartNumber=3,
            CopySource=f"{bucket}/source",
            CopySourceRange=f"bytes=0-{len(source)}",
        )
    assert raised.value.response["Error"]["Code"] == "InvalidArgument"
    parts = [
        {"PartNumber": 1, "ETag": whole["CopyPartResult"]["ETag"]},
        {"PartNumber": 2, "ETag": ranged["CopyPartResult"]["ETag"]},
    ]
    s3.complete_multipart_upload(
        Bucket=bucket, Key="joined", UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    assert s3.get_object(Bucket=bucket, Key="joined")["Body"].read() == source + source[10:20]
