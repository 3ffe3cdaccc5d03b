"""Kinesis Data Streams' errors, with their wire identity and AWS's wording."""

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


class ExpiredIteratorException(AwsError):
    code = "ExpiredIteratorException"
    status = 400


class LimitExceededException(AwsError):
    code = "LimitExceededException"
    status = 400


def no_stream(name: str, account: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Stream {name} under account {account} not found.")


def no_shard(shard_id: str, name: str, account: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(
        f"Shard {shard_id} in stream {name} under account {account} does not exist"
    )


def stream_exists(name: str, account: str) -> ResourceInUseException:
    return ResourceInUseException(f"Stream {name} under account {account} already exists.")
