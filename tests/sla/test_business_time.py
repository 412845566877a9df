"""The pure business-hours module: no database."""

import datetime as dt

import pytest

from sla.business_time import (
    Calendar,
    NeverOpen,
    add_business_seconds,
    add_seconds,
    business_seconds_between,
    seconds_between,
)

UTC = dt.UTC
H = 3600
NINE_SIX = ((dt.time(9), dt.time(18)),)
OFFICE = Calendar(tz="UTC", weekly={d: NINE_SIX for d in range(5)})


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (utc(2025, 3, 3, 10), 2, utc(2025, 3, 3, 12)),  # Monday, inside hours
        (utc(2025, 3, 3, 17), 2, utc(2025, 3, 4, 10)),  # overnight to Tuesday
        (utc(2025, 3, 3, 7), 1, utc(2025, 3, 3, 10)),  # before opening
        (utc(2025, 3, 7, 17), 2, utc(2025, 3, 10, 10)),  # Friday evening -> Monday
        (utc(2025, 3, 8, 12), 1, utc(2025, 3, 10, 10)),  # Saturday
        (utc(2025, 3, 3, 9), 9, utc(2025, 3, 3, 18)),  # exactly one day, ends at closing
        (utc(2025, 3, 3, 9), 45, utc(2025, 3, 7, 18)),  # a whole week
        (utc(2025, 3, 3, 9), 46, utc(2025, 3, 10, 10)),
    ],
)
def test_add_business_hours_across_nights_and_weekends(start, hours, expected):
    assert add_business_seconds(start, hours * H, OFFICE) == expected


def test_between_is_the_inverse_of_add():
    start = utc(2025, 3, 6, 16, 30)
    for hours in (0.5, 3, 11, 27, 50):
        end = add_business_seconds(start, hours * H, OFFICE)
        assert business_seconds_between(start, end, OFFICE) == hours * H


def test_between_counts_only_open_time_and_is_signed():
    assert business_seconds_between(utc(2025, 3, 7, 17), utc(2025, 3, 10, 10), OFFICE) == 2 * H
    assert business_seconds_between(utc(2025, 3, 8), utc(2025, 3, 9, 23), OFFICE) == 0
    assert business_seconds_between(utc(2025, 3, 10, 10), utc(2025, 3, 7, 17), OFFICE) == -2 * H


def test_holidays_are_skipped():
    cal = Calendar(tz="UTC", weekly=OFFICE.weekly, closed=frozenset({dt.date(2025, 12, 25)}))
    # Wednesday 24th 17:00 + 2h: one hour left that day, Christmas closed, Friday 10:00.
    assert add_business_seconds(utc(2025, 12, 24, 17), 2 * H, cal) == utc(2025, 12, 26, 10)
    assert business_seconds_between(utc(2025, 12, 24), utc(2025, 12, 27), cal) == 18 * H


def test_special_days_replace_the_weekly_hours():
    short_eve = {dt.date(2025, 12, 31): ((dt.time(9), dt.time(12)),)}
    saturday_shift = {dt.date(2025, 3, 8): ((dt.time(10), dt.time(14)),)}
    cal = Calendar(tz="UTC", weekly=OFFICE.weekly, special={**short_eve, **saturday_shift})
    assert add_business_seconds(utc(2025, 12, 31, 11), 2 * H, cal) == utc(2026, 1, 1, 10)
    assert add_business_seconds(utc(2025, 3, 7, 17), 2 * H, cal) == utc(2025, 3, 8, 11)


def test_several_intervals_a_day_with_a_lunch_break():
    split = ((dt.time(9), dt.time(13)), (dt.time(14), dt.time(18)))
    cal = Calendar(tz="UTC", weekly={d: split for d in range(5)})
    assert add_business_seconds(utc(2025, 3, 3, 12), 2 * H, cal) == utc(2025, 3, 3, 15)
    assert business_seconds_between(utc(2025, 3, 3, 8), utc(2025, 3, 3, 20), cal) == 8 * H


def test_overnight_shift_runs_past_midnight():
    night = Calendar(tz="UTC", weekly={0: ((dt.time(22), dt.time(6)),)})  # Monday night only
    assert add_business_seconds(utc(2025, 3, 3, 23), 3 * H, night) == utc(2025, 3, 4, 2)
    # Tuesday 05:00 is still Monday's shift; the next one is a week later.
    assert add_business_seconds(utc(2025, 3, 4, 5), 2 * H, night) == utc(2025, 3, 10, 23)
    midnight = Calendar(tz="UTC", weekly={0: ((dt.time(20), dt.time(0)),)})
    assert business_seconds_between(utc(2025, 3, 3), utc(2025, 3, 5), midnight) == 4 * H


def test_time_zone_wall_clock_hours():
    ny = Calendar(tz="America/New_York", weekly=OFFICE.weekly)
    # 09:00 in New York in January is 14:00 UTC.
    assert add_business_seconds(utc(2025, 1, 6, 12), H, ny) == utc(2025, 1, 6, 15)


def test_dst_spring_forward_in_berlin():
    berlin = Calendar(tz="Europe/Berlin", weekly={d: NINE_SIX for d in range(7)})
    # Clocks go 02:00 -> 03:00 on Sunday 30 March 2025: 09:00 is 08:00 UTC on Saturday
    # (CET, +1) but 07:00 UTC on Sunday (CEST, +2). A day still holds nine open hours.
    saturday_close = utc(2025, 3, 29, 17)
    assert add_business_seconds(saturday_close - dt.timedelta(hours=1), 2 * H, berlin) == utc(
        2025, 3, 30, 8
    )
    assert business_seconds_between(utc(2025, 3, 29), utc(2025, 3, 31), berlin) == 18 * H


def test_dst_interval_inside_the_missing_hour_and_the_fall_back_night():
    night = Calendar(tz="Europe/Berlin", weekly={d: ((dt.time(0), dt.time(6)),) for d in range(7)})
    # 30 March: 00:00-06:00 local spans only five real hours (02:00-03:00 does not exist).
    assert business_seconds_between(utc(2025, 3, 29, 23), utc(2025, 3, 30, 12), night) == 5 * H
    # 26 October: 00:00-06:00 local spans seven real hours (02:00-03:00 happens twice).
    assert business_seconds_between(utc(2025, 10, 25, 22), utc(2025, 10, 26, 12), night) == 7 * H


def test_new_york_fall_back_keeps_opening_at_nine_local():
    ny = Calendar(tz="America/New_York", weekly=OFFICE.weekly)
    # Friday 31 Oct 2025 17:00 EDT (21:00 UTC) + 2h -> Monday 3 Nov 10:00 EST (15:00 UTC).
    assert add_business_seconds(utc(2025, 10, 31, 21), 2 * H, ny) == utc(2025, 11, 3, 15)


def test_calendar_time_when_no_calendar_and_guards():
    start = utc(2025, 3, 8, 12)
    assert add_seconds(start, 90, None) == start + dt.timedelta(seconds=90)
    assert seconds_between(start, start + dt.timedelta(hours=1), None) == H
    assert add_business_seconds(start, 0, OFFICE) == start
    with pytest.raises(NeverOpen):
        add_business_seconds(start, 60, Calendar(tz="UTC"))
    with pytest.raises(ValueError, match="aware"):
        add_business_seconds(dt.datetime(2025, 3, 3), 60, OFFICE)
