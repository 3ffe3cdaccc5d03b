"""Secrets Manager's errors, with their wire identity (json 1.1, all 400)."""

from __future__ import annotations

from lamina.errors import AwsError


class SecretsError(AwsError):
    status = 400


class ResourceNotFoundException(SecretsError):
    code = "ResourceNotFoundException"


class ResourceExistsException(SecretsError):
    code = "ResourceExistsException"


class InvalidRequestException(SecretsError):
    code = "InvalidRequestException"


class InvalidParameterException(SecretsError):
    code = "InvalidParameterException"


def not_found() -> ResourceNotFoundException:
    return ResourceNotFoundException("Secrets Manager can't find the specified secret.")
