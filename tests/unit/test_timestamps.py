"""The one timestamp formatter agrees with the standard library's formats for any moment, and
rounds to the millisecond as AWS's samples show."""

from __future__ import annotations

import email.utils
import time

from hypothesis import given
from hypothesis import strategies as st

from lamina import timestamps

MOMENTS = st.floats(min_value=0, max_value=4102444800, allow_nan=False)


@given(MOMENTS)
def test_formats_agree_with_the_standard_library(now: float) -> None:
    whole = timestamps.millis(now) // 1000
    assert timestamps.http_date(now) == email.utils.formatdate(int(now), usegmt=True)
    assert timestamps.amz_date(now) == time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(int(now)))
    assert timestamps.iso_seconds(now) == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(whole))
    assert timestamps.iso_millis(now).startswith(
        time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(whole))
    )
    assert timestamps.day_path(now) == time.strftime("%Y/%m/%d", time.gmtime(int(now)))


def test_the_forms_aws_writes() -> None:
    assert timestamps.iso_millis(1.135) == "1970-01-01T00:00:01.135Z"
    assert timestamps.iso_millis(1.135, "+0000") == "1970-01-01T00:00:01.135+0000"
    assert timestamps.iso_millis(1.135, "") == "1970-01-01T00:00:01.135"
    assert timestamps.gateway_time(1583349317) == "04/Mar/2020:19:15:17 +0000"
