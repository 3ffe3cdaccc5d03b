"""X-Ray's errors, with their wire identity (rest-json)."""

from __future__ import annotations

from lamina.errors import AwsError


class InvalidRequestException(AwsError):
    status = 400
    code = "InvalidRequestException"
