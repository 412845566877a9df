"""Backlog over time: the series equals a count per instant done in Python over the rows,
with clocks of every kind (running, met, breached resolution clocks and breached
first-response clocks, which never make a ticket overdue), on SQLite and PostgreSQL."""

import random
from datetime import timedelta

import pytest

from metrics.selectors.volume import metric_backlog_series
from sla.models import SlaClock
from tests.metrics.conftest import at, make_ticket

pytestmark = pytest.mark.django_db


def _clock(ticket, metric, status, breached_at=None):
    SlaClock.objects.create(
        ticket=ticket,
        metric=metric,
        status=status,
        target_seconds=3600,
        started_at=ticket.created_at,
        breached_at=breached_at,
    )


def _expected(rows, t):
    total = overdue = 0
    for created, solved, breached in rows:
        if created <= t and (solved is None or solved > t):
            total += 1
            if breached is not None and breached <= t:
                overdue += 1
    return total, overdue


def test_backlog_series_equals_counts_per_instant_over_every_kind_of_clock(period):
    rng = random.Random(11)
    rows = []
    for n in range(48):
        created = at(rng.randrange(0, 6), hours=rng.choice([0, 0, 7, 19]))
        solved = created + timedelta(hours=rng.choice([0, 10, 24, 48, 90])) if n % 4 else None
        t = make_ticket(created=created, status="open" if solved is None else "solved")
        if solved:
            t.solved_at = solved
            t.save(update_fields=["solved_at"])
        breached = None
        kind = n % 5
        if kind == 0:
            _clock(t, "resolution", "running")
        elif kind == 1:
            _clock(t, "resolution", "met")
        elif kind == 2:
            breached = created + timedelta(hours=rng.choice([0, 12, 24]))
            _clock(t, "resolution", "breached", breached_at=breached)
        elif kind == 3:
            # A breached first-response clock does not make the ticket overdue.
            _clock(t, "first_response", "breached", breached_at=created)
            _clock(t, "resolution", "running")
        rows.append((created, solved, breached))
    points = [at(1), at(2), at(2, hours=19), at(3, hours=12), at(5), at(6)]
    series = metric_backlog_series(period, points)
    assert [s.at for s in series] == points
    got = [(s.total, s.overdue) for s in series]
    assert got == [_expected(rows, t) for t in points]
    assert any(o for _t, o in got) and any(t for t, _o in got)


def test_backlog_series_is_one_query_on_postgresql(period, django_assert_num_queries):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the one-pass bucket query is PostgreSQL only")
    t = make_ticket(created=at(1), status="open")
    _clock(t, "resolution", "breached", breached_at=at(2))
    with django_assert_num_queries(1):
        series = metric_backlog_series(period, [at(1), at(2), at(3)])
    assert [(s.total, s.overdue) for s in series] == [(1, 0), (1, 1), (1, 1)]
