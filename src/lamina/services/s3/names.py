"""AWS's rules for general purpose bucket names, checked at CreateBucket and at deploy.

3 to 63 characters of lowercase letters, digits, dots and hyphens; starting and ending with a
letter or digit; no two adjacent dots; not an IP address; not starting with ``xn--``,
``sthree-`` or ``amzn-s3-demo-``; not ending with ``-s3alias``, ``--ol-s3``, ``.mrap`` or
``--x-s3`` (the suffixes AWS reserves).
"""

from __future__ import annotations

import re

from lamina.services.s3.errors import InvalidBucketName

_SHAPE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_IP = re.compile(r"\d{1,3}(\.\d{1,3}){3}")
_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def problem(name: str) -> str | None:
    """Why ``name`` is not a valid bucket name, or None when it is."""
    if not 3 <= len(name) <= 63:
        return "Bucket name must be between 3 (min) and 63 (max) characters long"
    if not _SHAPE.fullmatch(name):
        return (
            "Bucket name can consist only of lowercase letters, numbers, periods (.), and "
            "hyphens (-), and must begin and end with a letter or number"
        )
    if ".." in name:
        return "Bucket name must not contain two adjacent periods"
    if _IP.fullmatch(name):
        return "Bucket name must not be formatted as an IP address"
    if name.startswith(_PREFIXES) or name.endswith(_SUFFIXES):
        return "Bucket name must not use a prefix or suffix reserved by Amazon S3"
    return None


def check(name: str) -> None:
    """Raise ``InvalidBucketName`` (AWS's message) when ``name`` breaks the rules."""
    if problem(name) is not None:
        raise InvalidBucketName("The specified bucket is not valid.")
