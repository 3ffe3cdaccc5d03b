"""S3 on a real `lamina up`: the template's buckets exist at start and are named in the banner,
and every object acknowledged before `kill -9` (puts, a multipart upload, a copy, a delete) is
there, whole, after it starts again on the same state directory."""

from __future__ import annotations

import hashlib
import os
import textwrap
from pathlib import Path

import pytest

from tests.integration.asyncinvoke.lamina_up import LaminaUp

pytestmark = pytest.mark.slow

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: lamina-uploads
      VersioningConfiguration: {Status: Enabled}
      Tags: [{Key: team, Value: uploads}]
      CorsConfiguration:
        CorsRules: [{AllowedMethods: [GET, PUT], AllowedOrigins: ["http://localhost:5173"]}]
      LifecycleConfiguration:
        Rules: [{Status: Enabled, Prefix: tmp/, ExpirationInDays: 7}]
  Policy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Uploads
      PolicyDocument: {Statement: []}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables:
          BUCKET: !Ref Uploads
"""
MIB = 1024 * 1024
# A function using S3 through boto3 unchanged: endpoint and keys come from its environment.
FUNCTION = """
import os

import boto3


def handler(event, context):
    s3 = boto3.client("s3")
    s3.put_object(Bucket=os.environ["BUCKET"], Key=event["key"], Body=event["body"].encode())
    got = s3.get_object(Bucket=os.environ["BUCKET"], Key=event["key"])
    return got["Body"].read().decode()
"""


@pytest.fixture
def app(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text(FUNCTION)
    (root / "template.yaml").write_text(textwrap.dedent(TEMPLATE).lstrip())
    return root / "template.yaml"


def test_a_function_uses_the_templates_bucket_through_boto3(app: Path, tmp_path: Path) -> None:
    """A function given the bucket by !Ref writes and reads it with an unchanged boto3 client;
    the object is then visible to clients outside."""
    lamina = LaminaUp(app, tmp_path / "state").start()
    try:
        answer = lamina.client().invoke(
            FunctionName="Fn", Payload=b'{"key": "from/function.txt", "body": "hi"}'
        )
        payload = answer["Payload"]
        payload = payload.read() if hasattr(payload, "read") else payload
        assert answer.get("FunctionError") is None, payload
        assert payload == b'"hi"'
        got = lamina.aws("s3").get_object(Bucket="lamina-uploads", Key="from/function.txt")
        assert got["Body"].read() == b"hi"
    finally:
        lamina.stop()


def test_template_buckets_and_acknowledged_objects_survive_sigkill(
    app: Path, tmp_path: Path
) -> None:
    """The template's bucket exists (versioning, tags, CORS, lifecycle and policy applied) and
    the banner names it; objects
    written before SIGKILL are all there after a restart, deleted ones stay deleted; the
    bucket is versioned, so overwritten versions and delete markers survive too."""
    lamina = LaminaUp(app, tmp_path / "state").start()
    try:
        assert "Buckets:      lamina-uploads" in lamina.log()
        s3 = lamina.aws("s3")
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["lamina-uploads"]
        assert s3.get_bucket_versioning(Bucket="lamina-uploads")["Status"] == "Enabled"
        tag_set = s3.get_bucket_tagging(Bucket="lamina-uploads")["TagSet"]
        assert tag_set == [{"Key": "team", "Value": "uploads"}]
        cors = s3.get_bucket_cors(Bucket="lamina-uploads")["CORSRules"]
        assert cors == [
            {"AllowedMethods": ["GET", "PUT"], "AllowedOrigins": ["http://localhost:5173"]}
        ]
        (rule,) = s3.get_bucket_lifecycle_configuration(Bucket="lamina-uploads")["Rules"]
        assert (rule["Filter"], rule["Expiration"]) == ({"Prefix": "tmp/"}, {"Days": 7})
        assert s3.get_bucket_policy(Bucket="lamina-uploads")["Policy"] == '{"Statement":[]}'
        bodies = {f"small/{i}": os.urandom(1000 + i) for i in range(40)}
        for key, body in bodies.items():
            s3.put_object(Bucket="lamina-uploads", Key=key, Body=body)
        parts = [os.urandom(5 * MIB), os.urandom(MIB)]
        upload = s3.create_multipart_upload(Bucket="lamina-uploads", Key="big")["UploadId"]
        done = [
            {
                "PartNumber": n,
                "ETag": s3.upload_part(
                    Bucket="lamina-uploads", Key="big", UploadId=upload, PartNumber=n, Body=b
                )["ETag"],
            }
            for n, b in enumerate(parts, start=1)
        ]
        s3.complete_multipart_upload(
            Bucket="lamina-uploads", Key="big", UploadId=upload, MultipartUpload={"Parts": done}
        )
        s3.copy_object(Bucket="lamina-uploads", Key="copy", CopySource="lamina-uploads/small/1")
        marker = s3.delete_object(Bucket="lamina-uploads", Key="small/0")["VersionId"]
        older = s3.list_object_versions(Bucket="lamina-uploads", Prefix="small/2")["Versions"]
        newer = s3.put_object(Bucket="lamina-uploads", Key="small/2", Body=b"v2")["VersionId"]
        pending = s3.create_multipart_upload(Bucket="lamina-uploads", Key="later")["UploadId"]
    finally:
        lamina.kill()

    lamina.start()
    try:
        s3 = lamina.aws("s3")
        keys = set()
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket="lamina-uploads"):
            keys |= {o["Key"] for o in page.get("Contents", [])}
        assert keys == (set(bodies) - {"small/0"}) | {"big", "copy"}
        versions = s3.list_object_versions(Bucket="lamina-uploads", Prefix="small/")
        assert [(m["Key"], m["VersionId"]) for m in versions["DeleteMarkers"]] == [
            ("small/0", marker)
        ]
        assert [v["VersionId"] for v in versions["Versions"] if v["Key"] == "small/2"] == [
            newer,
            older[0]["VersionId"],
        ]
        assert s3.get_object(Bucket="lamina-uploads", Key="small/2")["Body"].read() == b"v2"
        first = s3.get_object(
            Bucket="lamina-uploads", Key="small/2", VersionId=older[0]["VersionId"]
        )
        assert first["Body"].read() == bodies["small/2"]
        for key, body in bodies.items():
            if key not in ("small/0", "small/2"):
                got = s3.get_object(Bucket="lamina-uploads", Key=key)["Body"].read()
                assert got == body
        big = s3.get_object(Bucket="lamina-uploads", Key="big")["Body"].read()
        assert hashlib.sha256(big).digest() == hashlib.sha256(b"".join(parts)).digest()
        assert (
            s3.get_object(Bucket="lamina-uploads", Key="copy")["Body"].read() == (bodies["small/1"])
        )
        uploads = s3.list_multipart_uploads(Bucket="lamina-uploads")["Uploads"]
        assert [u["UploadId"] for u in uploads] == [pending]
    finally:
        lamina.stop()
