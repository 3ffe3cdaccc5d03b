"""Schedule expressions: AWS's documented examples, its six-field cron dialect (L, W, #, ?,
weekdays from Sunday = 1, years), rates with their singular/plural rule, at(), time zones, and a
brute-force oracle over random expressions."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lamina.schedules.expressions import At, Rate, ScheduleError, parse

UTC = dt.UTC


def stamp(*args: int) -> float:
    return dt.datetime(*args, tzinfo=UTC).timestamp()


def at(value: float | None) -> str:
    assert value is not None
    return dt.datetime.fromtimestamp(value, UTC).strftime("%a %Y-%m-%d %H:%M")


def following(expression: str, start: float, count: int, zone: str | None = None) -> list[str]:
    parsed = parse(expression, zone)
    found, now = [], start
    for _ in range(count):
        nxt = parsed.next_after(now)  # type: ignore[call-arg]
        found.append(at(nxt))
        assert nxt is not None
        now = nxt
    return found


# Thursday 2026-12-03 11:07 UTC
START = stamp(2026, 12, 3, 11, 7)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cron(0 10 * * ? *)", ["Fri 2026-12-04 10:00", "Sat 2026-12-05 10:00"]),
        ("cron(15 12 * * ? *)", ["Thu 2026-12-03 12:15", "Fri 2026-12-04 12:15"]),
        (
            "cron(0 18 ? * MON-FRI *)",
            ["Thu 2026-12-03 18:00", "Fri 2026-12-04 18:00", "Mon 2026-12-07 18:00"],
        ),
        ("cron(0 8 1 * ? *)", ["Fri 2027-01-01 08:00", "Mon 2027-02-01 08:00"]),
        ("cron(0/15 * * * ? *)", ["Thu 2026-12-03 11:15", "Thu 2026-12-03 11:30"]),
        ("cron(0/5 8-17 ? * MON-FRI *)", ["Thu 2026-12-03 11:10", "Thu 2026-12-03 11:15"]),
        # The first Monday of each month (2 is Monday: Sunday is 1).
        ("cron(0 9 ? * 2#1 *)", ["Mon 2026-12-07 09:00", "Mon 2027-01-04 09:00"]),
        # The last day of the month, the last Friday, the last weekday, the weekday nearest the 1st.
        (
            "cron(0 0 L * ? *)",
            ["Thu 2026-12-31 00:00", "Sun 2027-01-31 00:00", "Sun 2027-02-28 00:00"],
        ),
        ("cron(30 6 ? * 6L *)", ["Fri 2026-12-25 06:30", "Fri 2027-01-29 06:30"]),
        ("cron(0 12 LW * ? *)", ["Thu 2026-12-31 12:00", "Fri 2027-01-29 12:00"]),
        (
            "cron(0 12 1W * ? *)",
            ["Fri 2027-01-01 12:00", "Mon 2027-02-01 12:00", "Mon 2027-03-01 12:00"],
        ),
        # A year field, and Saturdays by name.
        ("cron(0 0 1 1 ? 2028,2030)", ["Sat 2028-01-01 00:00", "Tue 2030-01-01 00:00"]),
        ("cron(0 0 ? DEC SAT *)", ["Sat 2026-12-05 00:00", "Sat 2026-12-12 00:00"]),
    ],
)
def test_cron_matches_awss_documented_meaning(expression: str, expected: list[str]) -> None:
    """Each expression's next times from Thursday 2026-12-03 11:07 UTC."""
    assert following(expression, START, len(expected)) == expected


def test_a_time_zone_moves_the_wall_clock_not_the_meaning() -> None:
    """9:00 in New York is 14:00 UTC in winter and 13:00 UTC after the DST change."""
    assert following("cron(0 9 * * ? *)", START, 1, "America/New_York") == ["Thu 2026-12-03 14:00"]
    summer = stamp(2027, 6, 1, 0, 0)
    assert following("cron(0 9 * * ? *)", summer, 1, "America/New_York") == ["Tue 2027-06-01 13:00"]


def test_an_expression_past_its_years_has_no_next_time() -> None:
    assert parse("cron(0 0 1 1 ? 2020)").next_after(START) is None  # type: ignore[call-arg]


def test_rates_count_from_their_anchor() -> None:
    """rate(5 minutes) fires every 300 s after its anchor; singular units for 1 only."""
    rate = parse("rate(5 minutes)")
    assert rate == Rate(300)
    assert rate.next_after(1000.0, anchor=1000.0) == 1300.0
    assert rate.next_after(1299.0, anchor=1000.0) == 1300.0
    assert rate.next_after(1300.0, anchor=1000.0) == 1600.0
    assert parse("rate(1 day)") == Rate(86400)
    for bad in ("rate(1 minutes)", "rate(2 hour)", "rate(0 minutes)", "rate(5 weeks)"):
        with pytest.raises(ScheduleError):
            parse(bad)


def test_at_is_one_time() -> None:
    once = parse("at(2027-01-02T03:04:05)")
    assert isinstance(once, At)
    assert once.next_after(START) == stamp(2027, 1, 2, 3, 4, 5)
    assert once.next_after(stamp(2027, 1, 2, 3, 4, 5)) is None


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("cron(0 10 * * *)", "6 fields"),
        ("cron(0 10 * * * *)", "exactly one"),
        ("cron(0 10 ? * ? *)", "exactly one"),
        ("cron(61 10 * * ? *)", "minutes value 61"),
        ("cron(0 10 * * ? 1969)", "year value 1969"),
        ("cron(0 10 ? * 8 *)", "day-of-week value 8"),
        ("cron(0 10 5-1 * ? *)", "backwards"),
        ("every day", "rate(...), cron(...) or at(...)"),
        ("at(2027-02-30T00:00:00)", "no such time"),
    ],
)
def test_bad_expressions_say_what_is_wrong(expression: str, reason: str) -> None:
    with pytest.raises(ScheduleError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        parse(expression)


def _matches(
    expression: tuple[set[int], set[int], set[int], set[int]], moment: dt.datetime
) -> bool:
    minutes, hours, days, months = expression
    return (
        moment.minute in minutes
        and moment.hour in hours
        and moment.day in days
        and moment.month in months
    )


def _field(values: list[int]) -> str:
    return ",".join(str(v) for v in values)


@settings(max_examples=60, deadline=None)
@given(
    minutes=st.lists(st.integers(0, 59), min_size=1, max_size=3, unique=True),
    hours=st.lists(st.integers(0, 23), min_size=1, max_size=3, unique=True),
    days=st.lists(st.integers(1, 28), min_size=1, max_size=3, unique=True),
    months=st.lists(st.integers(1, 12), min_size=1, max_size=12, unique=True),
    offset=st.integers(0, 400 * 24 * 60),
)
def test_cron_agrees_with_a_brute_force_walk(
    minutes: list[int], hours: list[int], days: list[int], months: list[int], offset: int
) -> None:
    """For lists of minutes, hours, days and months, the next time is the first minute, walking
    forward one at a time, at which every field matches."""
    start = dt.datetime(2026, 1, 1, tzinfo=UTC) + dt.timedelta(minutes=offset)
    expression = f"cron({_field(minutes)} {_field(hours)} {_field(days)} {_field(months)} ? *)"
    found = parse(expression).next_after(start.timestamp())  # type: ignore[call-arg]
    assert found is not None
    fields = (set(minutes), set(hours), set(days), set(months))
    moment = dt.datetime.fromtimestamp(found, UTC)
    assert _matches(fields, moment)
    # Nothing earlier matched: check the days between, then each minute of the found day.
    probe = start.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    while probe.date() < moment.date():
        if probe.day in fields[2] and probe.month in fields[3]:
            assert not any(
                _matches(fields, probe.replace(hour=h, minute=m))
                for h in fields[1]
                for m in fields[0]
                if probe.replace(hour=h, minute=m) >= probe
            )
        probe = (probe + dt.timedelta(days=1)).replace(hour=0, minute=0)
    while probe < moment:
        assert not _matches(fields, probe)
        probe += dt.timedelta(minutes=1)
