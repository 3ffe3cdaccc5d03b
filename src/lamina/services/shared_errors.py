"""Errors several json services name alike, with one wire identity (400, the code its class's
name): Kinesis Data Streams and Firehose both answer with these. A service re-exports them
from its own ``errors`` module beside the errors that are its alone."""

from __future__ import annotations

from lamina.errors import AwsError


class ResourceNotFoundException(AwsError):
    code = "ResourceNotFoundException"
    status = 400


class ResourceInUseException(AwsError):
    code = "ResourceInUseException"
    status = 400


class InvalidArgumentException(AwsError):
    code = "InvalidArgumentException"
    status = 400


class LimitExceededException(AwsError):
    code = "LimitExceededException"
    status = 400
