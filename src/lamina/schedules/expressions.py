"""``rate(...)``, ``cron(...)`` and ``at(...)``, parsed once and asked for their next time.

AWS's cron has six fields, ``Minutes Hours Day-of-month Month Day-of-week Year``, in UTC unless
EventBridge Scheduler is given a time zone; one of the two day fields must be ``?``. Besides
``* , - /`` the day-of-month field takes ``L`` (last day), ``W`` (``15W``: the weekday nearest
the 15th, within the month; ``LW``: the last weekday) and the day-of-week field ``L`` (``5L``:
the month's last Thursday; ``L`` alone: Saturday) and ``#`` (``3#2``: the second Tuesday).
Day-of-week counts 1-7 from Sunday. ``rate(1 minute)`` takes the singular, ``rate(5 minutes)``
the plural. No cron library speaks this dialect (Unix counts weekdays from 0 and has no ``W``,
``?`` or year), hence this module.

``ScheduleError`` carries the reason; callers word it as their API does.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = dt.UTC
_MONTHS = {m.upper(): i for i, m in enumerate(calendar.month_abbr) if m}
_DAYS = {d: i + 1 for i, d in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}
_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_UNIT_S = {"minute": 60, "hour": 3600, "day": 86400}
# How far ahead a cron expression is searched (its year field ends at 2199).
_LAST_YEAR = 2199


class ScheduleError(ValueError):
    """An expression AWS would refuse; ``str()`` says which part and why."""


@dataclass(frozen=True, slots=True)
class Rate:
    seconds: int

    def next_after(self, after: float, anchor: float) -> float:
        """The first time ``anchor + k * seconds`` (k >= 1) later than ``after``."""
        if after < anchor:
            return anchor + self.seconds
        steps = int((after - anchor) // self.seconds) + 1
        return anchor + steps * self.seconds


@dataclass(frozen=True, slots=True)
class At:
    when: dt.datetime

    def next_after(self, after: float) -> float | None:
        stamp = self.when.timestamp()
        return stamp if stamp > after else None


@dataclass(frozen=True, slots=True)
class _DayOfMonth:
    days: frozenset[int] = frozenset()
    last: bool = False
    # ``15W`` -> 15; ``LW`` -> -1
    nearest_weekday: int | None = None
    any: bool = False

    def matches(self, day: dt.date) -> bool:
        if self.any:
            return True
        length = calendar.monthrange(day.year, day.month)[1]
        if self.last and day.day == length:
            return True
        if self.nearest_weekday is not None:
            return day.day == _nearest_weekday(day.year, day.month, self.nearest_weekday, length)
        return day.day in self.days


@dataclass(frozen=True, slots=True)
class _DayOfWeek:
    days: frozenset[int] = frozenset()
    # (weekday, n): the n-th such day of the month; n = -1: the last one
    nth: tuple[int, int] | None = None
    any: bool = False

    def matches(self, day: dt.date) -> bool:
        if self.any:
            return True
        weekday = (day.weekday() + 1) % 7 + 1  # Monday=0 -> 2, Sunday=6 -> 1
        if self.nth is not None:
            wanted, n = self.nth
            if weekday != wanted:
                return False
            if n == -1:
                return day.day + 7 > calendar.monthrange(day.year, day.month)[1]
            return (day.day - 1) // 7 + 1 == n
        return weekday in self.days


@dataclass(frozen=True, slots=True)
class Cron:
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    day_of_month: _DayOfMonth
    months: frozenset[int]
    day_of_week: _DayOfWeek
    years: frozenset[int] | None
    zone: dt.tzinfo = UTC

    def next_after(self, after: float) -> float | None:
        """The first matching minute strictly later than ``after`` (epoch seconds), None when
        the expression has no more (its years are past)."""
        start = dt.datetime.fromtimestamp(after, self.zone).replace(second=0, microsecond=0)
        start += dt.timedelta(minutes=1)
        day = start.date()
        first = True
        while day.year <= _LAST_YEAR:
            if self.years is not None and day.year not in self.years:
                if max(self.years) < day.year:
                    return None
                day = dt.date(day.year + 1, 1, 1)
                first = False
                continue
            if day.month not in self.months:
                day = _next_month(day)
                first = False
                continue
            if self.day_of_month.matches(day) and self.day_of_week.matches(day):
                found = self._time_on(day, start if first else None)
                if found is not None:
                    return found
            day += dt.timedelta(days=1)
            first = False
        return None

    def _time_on(self, day: dt.date, start: dt.datetime | None) -> float | None:
        for hour in self.hours:
            if start is not None and hour < start.hour:
                continue
            for minute in self.minutes:
                if start is not None and hour == start.hour and minute < start.minute:
                    continue
                local = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.zone)
                return local.timestamp()
        return None


Expression = Rate | Cron | At


def parse(text: str, zone: str | None = None) -> Expression:
    """``text`` as an expression; raises ``ScheduleError``."""
    text = text.strip()
    tz = _zone(zone)
    if text.startswith("rate("):
        return _rate(text)
    if text.startswith("cron(") and text.endswith(")"):
        return _cron(text[5:-1], tz)
    found = _AT.match(text)
    if found:
        try:
            when = dt.datetime.fromisoformat(found.group(1)).replace(tzinfo=tz)
        except ValueError:
            raise ScheduleError(f"at() names no such time: {found.group(1)}") from None
        return At(when)
    raise ScheduleError("an expression is rate(...), cron(...) or at(...)")


def _zone(name: str | None) -> dt.tzinfo:
    if not name or name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"unknown time zone {name!r}") from None


def _rate(text: str) -> Rate:
    found = _RATE.match(text)
    if not found:
        raise ScheduleError("rate() takes a positive whole number and minute(s), hour(s) or day(s)")
    value, unit = int(found.group(1)), found.group(2)
    if value <= 0:
        raise ScheduleError("rate() takes a value greater than 0")
    if (value == 1) != (not unit.endswith("s")):
        raise ScheduleError("rate() takes a singular unit for 1 (rate(1 minute)), plural otherwise")
    return Rate(value * _UNIT_S[unit.rstrip("s")])


def _cron(body: str, zone: dt.tzinfo) -> Cron:
    fields = body.split()
    if len(fields) != 6:
        raise ScheduleError(
            f"cron() takes 6 fields (minutes hours day-of-month month day-of-week year), "
            f"got {len(fields)}"
        )
    minute, hour, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise ScheduleError("cron() needs '?' in exactly one of day-of-month and day-of-week")
    return Cron(
        minutes=tuple(sorted(_values(minute, 0, 59, "minutes"))),
        hours=tuple(sorted(_values(hour, 0, 23, "hours"))),
        day_of_month=_day_of_month(dom),
        months=frozenset(_values(month, 1, 12, "month", _MONTHS)),
        day_of_week=_day_of_week(dow),
        years=None if year == "*" else frozenset(_values(year, 1970, _LAST_YEAR, "year")),
        zone=zone,
    )


def _day_of_month(field: str) -> _DayOfMonth:
    if field in ("?", "*"):
        return _DayOfMonth(any=True)
    if field == "L":
        return _DayOfMonth(last=True)
    if field == "LW":
        return _DayOfMonth(nearest_weekday=-1)
    if field.endswith("W"):
        day = _number(field[:-1], 1, 31, "day-of-month")
        return _DayOfMonth(nearest_weekday=day)
    return _DayOfMonth(days=frozenset(_values(field, 1, 31, "day-of-month")))


def _day_of_week(field: str) -> _DayOfWeek:
    if field in ("?", "*"):
        return _DayOfWeek(any=True)
    if field == "L":
        return _DayOfWeek(days=frozenset({7}))
    if "#" in field:
        day, _, n = field.partition("#")
        return _DayOfWeek(
            nth=(_number(day, 1, 7, "day-of-week", _DAYS), _number(n, 1, 5, "day-of-week"))
        )
    if field.endswith("L"):
        return _DayOfWeek(nth=(_number(field[:-1], 1, 7, "day-of-week", _DAYS), -1))
    return _DayOfWeek(days=frozenset(_values(field, 1, 7, "day-of-week", _DAYS)))


def _values(
    field: str, low: int, high: int, name: str, names: dict[str, int] | None = None
) -> set[int]:
    found: set[int] = set()
    for part in field.split(","):
        step = 1
        stepped = "/" in part
        if stepped:
            part, _, step_text = part.partition("/")
            step = _number(step_text, 1, high, name)
        if part == "*":
            first, last = low, high
        elif "-" in part:
            a, _, b = part.partition("-")
            first, last = _number(a, low, high, name, names), _number(b, low, high, name, names)
            if first > last:
                raise ScheduleError(f"cron() {name} range {part} runs backwards")
        else:
            first = _number(part, low, high, name, names)
            last = high if stepped else first
        found.update(range(first, last + 1, step))
    return found


def _number(text: str, low: int, high: int, name: str, names: dict[str, int] | None = None) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise ScheduleError(f"cron() {name} field has {text!r}, not a number from {low}-{high}")
    value = int(text)
    if not low <= value <= high:
        raise ScheduleError(f"cron() {name} value {value} is outside {low}-{high}")
    return value


def _nearest_weekday(year: int, month: int, day: int, length: int) -> int:
    """``dayW``: that day if a weekday, else the nearest weekday within the month."""
    day = length if day == -1 or day > length else day
    weekday = calendar.weekday(year, month, day)  # Monday 0 .. Sunday 6
    if weekday < 5:
        return day
    if weekday == 5:  # Saturday: Friday before, or Monday after on the 1st
        return day - 1 if day > 1 else day + 2
    return day + 1 if day < length else day - 2  # Sunday


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
