"""Every way Lamina writes a moment (epoch seconds, UTC) as AWS writes it.

One rounding for all of them: the moment in whole milliseconds, rounded (``x.135 * 1000`` is
``x134.99...`` in floating point, and truncating would write 134). Month names are spelled out so
that no format depends on the process locale (``%b`` does).
"""

from __future__ import annotations

import time

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def millis(now: float) -> int:
    """``now`` in whole milliseconds, rounded."""
    return round(now * 1000)


def _split(now: float) -> tuple[time.struct_time, int]:
    total = millis(now)
    return time.gmtime(total // 1000), total % 1000


def iso_millis(now: float, zone: str = "Z") -> str:
    """ISO 8601 with milliseconds: ``2019-09-03T19:37:27.192Z`` (SNS, S3, Lambda's platform
    records); ``zone="+0000"`` for Lambda's ``LastModified``, ``""`` for DynamoDB stream labels."""
    t, ms = _split(now)
    return (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T"
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}.{ms:03d}{zone}"
    )


def iso_seconds(now: float) -> str:
    """ISO 8601 to the second: ``2017-12-22T18:43:48Z`` (EventBridge)."""
    t = time.gmtime(millis(now) // 1000)
    return (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T"
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}Z"
    )


def gateway_time(now: float) -> str:
    """API Gateway's ``requestTime``: ``04/Mar/2020:19:15:17 +0000``."""
    t = time.gmtime(millis(now) // 1000)
    return (
        f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:"
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
    )


def amz_date(now: float) -> str:
    """SigV4's basic format, to the second: ``20150830T123600Z``."""
    t = time.gmtime(int(now))
    return (
        f"{t.tm_year:04d}{t.tm_mon:02d}{t.tm_mday:02d}T{t.tm_hour:02d}{t.tm_min:02d}{t.tm_sec:02d}Z"
    )


def http_date(now: float) -> str:
    """An HTTP ``Date``: ``Wed, 21 Oct 2015 07:28:00 GMT``."""
    t = time.gmtime(int(now))
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )


def day_path(now: float) -> str:
    """The date a Lambda log stream's name starts with: ``2024/05/01``."""
    t = time.gmtime(int(now))
    return f"{t.tm_year:04d}/{t.tm_mon:02d}/{t.tm_mday:02d}"


def parse_iso(text: str) -> float:
    """Epoch seconds of an ISO 8601 time (``Z`` or an offset; UTC when it names none)."""
    import datetime as dt

    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()
