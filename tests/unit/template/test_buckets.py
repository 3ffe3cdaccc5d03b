"""S3 buckets in templates: names (given or generated as CloudFormation does), Ref and GetAtt as
functions see them, versioning recorded, unhonoured properties reported by name, policies
accepted, and invalid names refused naming the resource."""

from __future__ import annotations

import json

import pytest

from lamina.errors import TemplateError
from lamina.template import load_stack
from lamina.template.names import generated_name

from .conftest import WriteApp

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: my-uploads
      VersioningConfiguration:
        Status: Enabled
      Tags:
        - {Key: team, Value: !Ref AWS::Region}
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: {SSEAlgorithm: AES256}
  Generated:
    Type: AWS::S3::Bucket
    Properties:
      CorsConfiguration:
        CorsRules: [{AllowedMethods: [GET], AllowedOrigins: ["*"], MaxAge: 60, ExposedHeaders: [ETag]}]
      LifecycleConfiguration:
        Rules:
          - {Id: tmp, Status: Enabled, ExpirationInDays: 1, Prefix: tmp/,
             AbortIncompleteMultipartUpload: {DaysAfterInitiation: 2}}
          - {Status: Disabled, ExpirationDate: "2030-01-01T00:00:00Z",
             TagFilters: [{Key: a, Value: b}], NoncurrentVersionExpirationInDays: 30}
      WebsiteConfiguration:
        IndexDocument: index.html
  UploadsPolicy:
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
          ARN: !GetAtt Uploads.Arn
          DOMAIN: !GetAtt Uploads.DomainName
          REGIONAL: !GetAtt Uploads.RegionalDomainName
          OTHER: !Ref Generated
"""


def test_buckets_are_read_with_their_names_and_versioning(write_app: WriteApp) -> None:
    """BucketName is the name; a bucket without one gets CloudFormation's generated,
    lower-cased name; VersioningConfiguration's status and the Tags (resolved) are kept."""
    stack = load_stack(write_app(TEMPLATE), stack_name="demo")
    uploads, generated = stack.buckets["Uploads"], stack.buckets["Generated"]
    assert (uploads.name, uploads.versioning) == ("my-uploads", "Enabled")
    assert dict(uploads.tags) == {"team": "us-east-1"}
    assert generated.name == generated_name("demo", "Generated", max_length=63).lower()
    assert generated.versioning is None


def test_functions_see_ref_and_getatt_as_cloudformation_gives_them(write_app: WriteApp) -> None:
    """Ref is the bucket name; GetAtt Arn, DomainName and RegionalDomainName are AWS's forms."""
    stack = load_stack(write_app(TEMPLATE), stack_name="demo", region="eu-west-1")
    env = dict(stack.functions["Fn"].environment)
    assert env["BUCKET"] == "my-uploads"
    assert env["ARN"] == "arn:aws:s3:::my-uploads"
    assert env["DOMAIN"] == "my-uploads.s3.amazonaws.com"
    assert env["REGIONAL"] == "my-uploads.s3.eu-west-1.amazonaws.com"
    assert env["OTHER"] == stack.buckets["Generated"].name


def test_unhonoured_properties_are_reported_by_name(write_app: WriteApp) -> None:
    """A website configuration is reported as not honoured for its bucket; CORS and lifecycle
    are not (they are applied); encryption (no local effect) is not; the bucket policy is
    listed as having no local effect (it is recorded, never enforced)."""
    stack = load_stack(write_app(TEMPLATE), stack_name="demo")
    notes = {(r.logical_id, r.type): r.note for r in stack.unsupported}
    assert notes[("Generated", "AWS::S3::Bucket")] == "WebsiteConfiguration not honoured yet"
    assert ("Uploads", "AWS::S3::Bucket") not in notes
    assert notes[("UploadsPolicy", "AWS::S3::BucketPolicy")] == "no local effect"


def test_an_invalid_bucket_name_is_a_template_error(write_app: WriteApp) -> None:
    """A BucketName breaking AWS's rules fails the template, naming the resource and field."""
    path = write_app(
        """
        Resources:
          Bad:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: Not_Valid
        """
    )
    with pytest.raises(TemplateError) as raised:
        load_stack(path, stack_name="demo")
    assert raised.value.resource == "Bad"
    assert raised.value.field == "BucketName"


def test_cors_lifecycle_and_policy_are_read_in_the_s3_apis_form(write_app: WriteApp) -> None:
    """CloudFormation's CorsRules and lifecycle Rules become the S3 API's CORSRules and Rules
    (MaxAge -> MaxAgeSeconds, ExposedHeaders -> ExposeHeaders, ExpirationInDays ->
    Expiration.Days, TagFilters -> Filter.And.Tags, NoncurrentVersionExpirationInDays ->
    NoncurrentVersionExpiration.NoncurrentDays); the policy document lands on its bucket."""
    stack = load_stack(write_app(TEMPLATE), stack_name="demo")
    generated = stack.buckets["Generated"]
    assert json.loads(generated.cors or "") == [
        {
            "AllowedMethods": ["GET"],
            "AllowedOrigins": ["*"],
            "ExposeHeaders": ["ETag"],
            "MaxAgeSeconds": 60,
        }
    ]
    first, second = json.loads(generated.lifecycle or "")
    assert first == {
        "Status": "Enabled",
        "ID": "tmp",
        "Filter": {"Prefix": "tmp/"},
        "Expiration": {"Days": 1},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2},
    }
    assert second["Filter"] == {"And": {"Tags": [{"Key": "a", "Value": "b"}]}}
    assert second["Expiration"] == {"Date": {"$date": 1893456000.0}}
    assert second["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert json.loads(stack.buckets["Uploads"].policy or "") == {"Statement": []}
