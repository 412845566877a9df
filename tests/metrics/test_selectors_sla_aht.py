"""SLA rates, overdue backlog, business-hours FRT, AHT tracked and estimated, agent table,
heatmap and histogram."""

from dataclasses import replace
from datetime import datetime, time, timedelta

import pytest
import time_machine

from metrics.filters import MetricFilter
from metrics.selectors.common import Rate
from metrics.selectors.distribution import metric_frt_histogram, metric_heatmap
from metrics.selectors.load import metric_agent_load, metric_agent_table
from metrics.selectors.responsiveness import metric_aht, metric_frt_business
from metrics.selectors.sla import metric_sla, metric_sla_breakdown
from metrics.selectors.volume import metric_backlog_now
from metrics.services import fact_first_response
from sla.models import SlaClock
from tests.factories.sla import BusinessCalendarFactory, SlaPolicyFactory
from tests.factories.tickets import AgentProfileFactory, TeamFactory, UserFactory
from tests.metrics.conftest import at, bot_message, make_ticket
from tickets.models import WorkSession

pytestmark = pytest.mark.django_db


def clock(ticket, metric, status, **kw):
    return SlaClock.objects.create(
        ticket=ticket,
        metric=metric,
        status=status,
        target_seconds=3600,
        started_at=ticket.created_at,
        **kw,
    )


def test_frtr_artr_compliance_only_decided_timers(period):
    team = TeamFactory(name="Billing")
    t1 = make_ticket(created=at(1), frt_min=5, team=team)
    t2 = make_ticket(created=at(1), frt_min=90)
    t3 = make_ticket(created=at(1))
    clock(t1, "first_response", "met")
    clock(t2, "first_response", "breached", breached_at=at(1, hours=1))
    clock(t3, "first_response", "running")  # undecided: not counted
    clock(t1, "resolution", "met")
    clock(t2, "resolution", "met")
    old = make_ticket(created=at(-3), frt_min=5)
    clock(old, "first_response", "breached")  # other period
    s = metric_sla(period)
    assert s.first_response == Rate(1, 2) and s.resolution == Rate(0, 2)
    assert s.compliance == 0.75
    rows = {r.label: r for r in metric_sla_breakdown(period, "team")}
    assert rows["Billing"].first_response == Rate(0, 1)
    assert rows["—"].first_response == Rate(1, 1)
    empty = replace(period, start=at(30), end=at(31))
    assert metric_sla(empty).compliance is None


def test_backlog_now_and_overdue(period):
    a = make_ticket(created=at(1), status="open")
    make_ticket(created=at(1), status="pending")
    make_ticket(created=at(1), frt_min=5, solved=at(2))
    clock(a, "resolution", "breached", breached_at=at(2))
    b = metric_backlog_now(period)
    assert (b.total, b.overdue) == (2, 1)


def test_backlog_series_overdue_counts_resolution_breaches_by_then(period):
    """Overdue at t: open at t and its resolution timer breached by t. Other clocks of the
    same ticket (first response) neither count nor multiply the ticket."""
    from metrics.selectors.volume import metric_backlog_series

    a = make_ticket(created=at(0), status="open")
    b = make_ticket(created=at(0), frt_min=5, solved=at(3, hours=12))
    make_ticket(created=at(0), status="open")  # no clock: open, never overdue
    clock(a, "resolution", "breached", breached_at=at(1, hours=12))
    clock(a, "first_response", "breached", breached_at=at(0, hours=2))
    clock(b, "resolution", "breached", breached_at=at(2, hours=12))
    clock(b, "first_response", "met")
    points = [at(1), at(2), at(3), at(4)]
    series = metric_backlog_series(period, points)
    assert [p.total for p in series] == [3, 3, 3, 2]
    assert [p.overdue for p in series] == [0, 1, 2, 1]


def test_backlog_series_buckets_equal_the_per_instant_counts(period):
    """PostgreSQL reads each ticket once (buckets); the result must equal one conditional
    count per instant, including tickets created, solved or breached exactly at an instant."""
    import random

    from django.db import connection
    from django.db.models import FilteredRelation, Q

    from metrics.selectors.volume import _series_by_buckets, _series_by_counts

    if connection.vendor != "postgresql":
        pytest.skip("the bucket path is PostgreSQL only")
    rng = random.Random(5)
    for n in range(60):
        created = at(rng.randrange(0, 6), hours=rng.choice([0, 0, 5, 13]))
        solved = created + timedelta(hours=rng.choice([0, 11, 24, 30, 72])) if n % 3 else None
        t = make_ticket(created=created, status="open" if solved is None else "solved")
        if solved:
            t.solved_at = solved
            t.save(update_fields=["solved_at"])
        if n % 2:
            clock(t, "resolution", "breached", breached_at=created + timedelta(hours=24))
    points = [at(1), at(2), at(3, hours=12), at(5), at(6)]
    f = period
    tickets = (
        f.tickets()
        .filter(created_at__lte=max(points))
        .annotate(
            resolution_clock=FilteredRelation(
                "sla_clocks", condition=Q(sla_clocks__metric="resolution")
            )
        )
    )
    assert _series_by_buckets(tickets, points) == _series_by_counts(tickets, points)


def test_business_hours_frt_over_a_weekend(period):
    """Friday 17:30 → Monday 09:30 is 1 business hour on Mon–Fri 09:00–18:00."""
    cal = BusinessCalendarFactory(hours={d: [(time(9), time(18))] for d in range(5)})
    SlaPolicyFactory(business_hours=True, calendar=cal)
    fri = datetime(2026, 3, 6, 17, 30, tzinfo=at(0).tzinfo)
    t = make_ticket(created=fri, frt_min=(2 * 24 + 16) * 60)
    fact_first_response(ticket=t)
    calendar_policy = make_ticket(created=at(1), frt_min=10)
    from sla.models import SlaPolicy

    SlaPolicy.objects.update(business_hours=False)
    fact_first_response(ticket=calendar_policy)
    stats = metric_frt_business(MetricFilter(start=at(0), end=at(14)))
    assert stats.count == 2
    assert stats.mean == stats.median == (3600 + 600) / 2


def test_aht_tracked_per_handled_ticket(period):
    agent = UserFactory(role="operator")
    other = UserFactory(role="operator")
    t1, t2 = make_ticket(created=at(1)), make_ticket(created=at(1))
    for i, (ticket, who, seconds, end) in enumerate(
        [
            (t1, agent, 300, at(1)),
            (t1, agent, 120, at(2)),
            (t2, other, 60, at(2)),
            (t2, other, 999, at(9)),
        ]
    ):
        WorkSession.objects.create(
            agent=who,
            ticket=ticket,
            client_id=f"c{i}",
            started_at=end - timedelta(seconds=seconds),
            ended_at=end,
            seconds=seconds,
        )
    aht = metric_aht(period)
    assert aht.source == "tracked" and aht.tickets == 2 and aht.seconds == 480
    assert aht.mean == 240
    assert metric_aht(replace(period, agent=agent.pk)).mean == 420
    rows = {r.agent_id: r for r in metric_agent_table(period)}
    assert rows[agent.pk].handle_seconds == 420 and rows[agent.pk].handled == 1


def test_aht_estimated_without_tracking(period):
    make_ticket(created=at(1), frt_min=5, replies=3, solved=at(2))
    make_ticket(created=at(1), frt_min=5, replies=1, solved=at(2))
    bot = make_ticket(created=at(1), solved=at(2))  # no agent reply: not handled
    bot_message(bot, at(1))
    aht = metric_aht(period)
    assert aht.source == "estimated" and aht.tickets == 2
    assert aht.seconds == 4 * 6 * 60 and aht.mean == 720


def test_agent_load_and_table(period):
    p = AgentProfileFactory(capacity=4)
    make_ticket(created=at(1), status="open", assignee=p.user)
    make_ticket(created=at(1), frt_min=10, assignee=p.user)  # open too
    make_ticket(created=at(1), frt_min=20, solved=at(2), assignee=p.user)
    load = metric_agent_load(period)
    assert (load.active_assigned, load.capacity, load.value) == (2, 4, 0.5)
    row = metric_agent_table(period)[0]
    assert (row.active, row.solved, row.replies, row.frt_mean) == (2, 1, 1, 900)


def test_heatmap_and_histogram(period, settings):
    settings.TIME_ZONE = "UTC"
    make_ticket(created=at(0), frt_min=3)  # Monday 09:00
    make_ticket(created=at(0, minutes=30), frt_min=10)  # the 5–10 bucket's upper edge: 10–15
    make_ticket(created=at(2, hours=5), frt_min=2000)  # Wednesday 14:00
    with time_machine.travel(at(20)):
        grid = metric_heatmap(period)
    assert grid[0][9] == 2 and grid[2][14] == 1 and sum(map(sum, grid)) == 3
    hist = {b.label: b.count for b in metric_frt_histogram(period)}
    assert hist["0–5 min"] == 1 and hist["10–15 min"] == 1 and hist["≥ 1440 min"] == 1
    assert sum(hist.values()) == 3
