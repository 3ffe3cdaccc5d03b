"""Scalars on the wire: timestamps, blobs and booleans as each protocol writes and reads them.

Handlers see Python values: timestamps as aware ``datetime`` (UTC), blobs as ``bytes``. On the
wire a timestamp is epoch seconds in JSON bodies, ISO 8601 in XML bodies and query strings, and
an HTTP date in headers, unless the member names its own ``timestampFormat``. A handler may also
return a timestamp as epoch seconds (a number) or a blob already base64-encoded (a ``str``): both
pass through as they are.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import email.utils

UNIX = "unixTimestamp"
ISO = "iso8601"
HTTP_DATE = "rfc822"


def _as_datetime(value: dt.datetime | float | int) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromtimestamp(float(value), dt.UTC)


def write_timestamp(value: dt.datetime | float | int | str, form: str) -> str | float | int:
    if isinstance(value, str):
        return value
    if form == UNIX:
        if isinstance(value, dt.datetime):
            seconds = _as_datetime(value).timestamp()
            return int(seconds) if seconds.is_integer() else round(seconds, 3)
        return value
    moment = _as_datetime(value)
    if form == HTTP_DATE:
        return email.utils.format_datetime(moment.astimezone(dt.UTC), usegmt=True)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def read_timestamp(value: object) -> dt.datetime:
    """A timestamp in any of the forms clients send; ``ValueError`` when it is none of them."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, dt.datetime):  # CBOR's tag 1, decoded by the codec
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value, dt.UTC)
    if not isinstance(value, str):
        raise ValueError(value)
    try:
        return dt.datetime.fromtimestamp(float(value), dt.UTC)
    except ValueError:
        pass
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        moment = email.utils.parsedate_to_datetime(value)  # raises ValueError itself
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def write_blob(value: bytes | str) -> str:
    return value if isinstance(value, str) else base64.b64encode(value).decode("ascii")


def read_blob(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(value) from None


def write_bool(value: bool) -> str:
    return "true" if value else "false"


def read_bool(value: str) -> bool:
    if value in ("true", "false"):
        return value == "true"
    raise ValueError(value)


def read_number_or_bool(kind: str, text: str) -> object:
    """Text as the scalar ``kind`` says (integer, long, float, double, boolean); other kinds
    stay text. Raises ``ValueError`` for text that is not of the kind."""
    if kind in ("integer", "long"):
        return int(text)
    if kind in ("float", "double"):
        return float(text)
    if kind == "boolean":
        return read_bool(text)
    return text
