"""S3 buckets in templates: names (given or generated as CloudFormation does), Ref and GetAtt as
functions see them, versioning recorded, unhonoured properties reported by name, policies
accepted, and invalid names refused naming the resource."""

from __future__ import annotations

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
        CorsRules: [{AllowedMethods: [GET], AllowedOrigins: ["*"]}]
      LifecycleConfiguration:
        Rules: [{Status: Enabled, ExpirationInDays: 1}]
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
    """CORS and lifecycle are reported as not honoured for their bucket; encryption (no local
    effect) is not; the bucket policy is listed as having no local effect."""
    stack = load_stack(write_app(TEMPLATE), stack_name="demo")
    notes = {(r.logical_id, r.type): r.note for r in stack.unsupported}
    assert notes[("Generated", "AWS::S3::Bucket")] == (
        "CorsConfiguration, LifecycleConfiguration not honoured yet"
    )
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
