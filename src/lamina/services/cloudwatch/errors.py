"""CloudWatch's errors, with their wire identity (the query protocol's codes, which botocore
also reads from ``x-amzn-query-error`` in the CBOR and JSON protocols)."""

from __future__ import annotations

from lamina.errors import AwsError


class InvalidParameterValue(AwsError):
    code = "InvalidParameterValue"
    status = 400


class InvalidParameterCombination(AwsError):
    code = "InvalidParameterCombination"
    status = 400


class MissingParameter(AwsError):
    code = "MissingParameter"
    status = 400


class ResourceNotFound(AwsError):
    code = "ResourceNotFound"
    status = 404
