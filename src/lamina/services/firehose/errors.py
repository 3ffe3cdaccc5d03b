"""Firehose's errors, with their wire identity and AWS's wording."""

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


def no_stream(name: str, account: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Firehose {name} under account {account} not found.")


def stream_exists(name: str, account: str) -> ResourceInUseException:
    return ResourceInUseException(f"Firehose {name} under accountId {account} already exists.")
