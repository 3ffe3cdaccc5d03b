"""Firehose's errors, with their wire identity and AWS's wording."""

from __future__ import annotations

from lamina.services.shared_errors import (
    InvalidArgumentException,
    LimitExceededException,
    ResourceInUseException,
    ResourceNotFoundException,
)

__all__ = [
    "InvalidArgumentException",
    "LimitExceededException",
    "ResourceInUseException",
    "ResourceNotFoundException",
    "no_stream",
    "stream_exists",
]


def no_stream(name: str, account: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Firehose {name} under account {account} not found.")


def stream_exists(name: str, account: str) -> ResourceInUseException:
    return ResourceInUseException(f"Firehose {name} under accountId {account} already exists.")
