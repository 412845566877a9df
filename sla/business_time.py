"""Business-hours arithmetic. Pure: no ORM, no settings, only the standard library.

A calendar is a time zone, a weekly schedule (several intervals per weekday, wall-clock
times), closed days (holidays) and special days (their own intervals replace the weekly
ones for that date). An interval whose end is not after its start runs past midnight:
22:00-06:00 is an overnight shift, 09:00-00:00 ends at midnight.

Wall-clock times are turned into instants with zoneinfo, so a 09:00-18:00 day lasts
9 hours also on the days clocks change; an interval that does not exist (02:00-03:00 on a
spring-forward night in Europe/Berlin) counts as zero.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[time, time]
# Search at most this many days ahead before deciding a calendar never opens.
MAX_DAYS = 3 * 366


class NeverOpen(ValueError):
    """The calendar has no open hours in the searched range."""


@dataclass(frozen=True)
class Calendar:
    tz: str = "UTC"
    weekly: Mapping[int, tuple[Interval, ...]] = field(default_factory=dict)  # 0 = Monday
    closed: frozenset[date] = frozenset()
    special: Mapping[date, tuple[Interval, ...]] = field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        if day in self.special:
            return self.special[day]
        if day in self.closed:
            return ()
        return self.weekly.get(day.weekday(), ())


ALWAYS_OPEN = Calendar(weekly={d: ((time(0), time(0)),) for d in range(7)})


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("business_time needs aware datetimes")
    return value.astimezone(UTC)


def _day_spans(calendar: Calendar, day: date) -> list[tuple[datetime, datetime]]:
    """The open spans a local date contributes, as UTC instants (may spill into the next day)."""
    zone = calendar.zone
    spans = []
    for start, end in calendar.intervals_on(day):
        end_day = day if end > start else day + timedelta(days=1)
        s = datetime.combine(day, start, tzinfo=zone).astimezone(UTC)
        e = datetime.combine(end_day, end, tzinfo=zone).astimezone(UTC)
        if e > s:
            spans.append((s, e))
    return spans


def open_spans(calendar: Calendar, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Open spans in order, not overlapping, that end after `start` (UTC instants)."""
    start = _aware(start)
    first = start.astimezone(calendar.zone).date() - timedelta(days=1)
    cursor = start
    for offset in range(MAX_DAYS):
        for s, e in sorted(_day_spans(calendar, first + timedelta(days=offset))):
            s = max(s, cursor)
            if e > s:
                yield s, e
                cursor = e


def add_business_seconds(start: datetime, seconds: float, calendar: Calendar) -> datetime:
    """The instant at which `seconds` of open time have passed since `start` (UTC)."""
    start = _aware(start)
    if seconds <= 0:
        return start
    remaining = timedelta(seconds=seconds)
    for s, e in open_spans(calendar, start):
        s = max(s, start)
        available = e - s
        if available >= remaining:
            return s + remaining
        remaining -= available
    raise NeverOpen(f"no open hours within {MAX_DAYS} days of {start.isoformat()}")


def business_seconds_between(start: datetime, end: datetime, calendar: Calendar) -> float:
    """Open seconds between two instants; negative when `end` is before `start`."""
    start, end = _aware(start), _aware(end)
    if end < start:
        return -business_seconds_between(end, start, calendar)
    total = timedelta()
    for s, e in open_spans(calendar, start):
        if s >= end:
            break
        total += min(e, end) - max(s, start)
    return total.total_seconds()


def add_seconds(start: datetime, seconds: float, calendar: Calendar | None) -> datetime:
    """Calendar time when `calendar` is None, else business time."""
    if calendar is None:
        return _aware(start) + timedelta(seconds=max(seconds, 0))
    return add_business_seconds(start, seconds, calendar)


def seconds_between(start: datetime, end: datetime, calendar: Calendar | None) -> float:
    if calendar is None:
        return (_aware(end) - _aware(start)).total_seconds()
    return business_seconds_between(start, end, calendar)
