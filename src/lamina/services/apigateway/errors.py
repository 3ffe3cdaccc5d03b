"""API Gateway's management errors, with their wire identity (rest-json)."""

from __future__ import annotations

from lamina.errors import AwsError


class BadRequestException(AwsError):
    status = 400
    code = "BadRequestException"


class NotFoundException(AwsError):
    status = 404
    code = "NotFoundException"


class ConflictException(AwsError):
    status = 409
    code = "ConflictException"
