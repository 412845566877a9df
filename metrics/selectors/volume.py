"""Volume and backlog: NST, backlog now and over time, and its overdue part."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, FilteredRelation, OuterRef, Q
from django.utils import timezone

from metrics.filters import MetricFilter
from sla.models import ClockStatus, Metric, SlaClock
from tickets.models import ACTIVE_STATUSES


@dataclass(frozen=True)
class Nst:
    value: int


@dataclass(frozen=True)
class Backlog:
    at: datetime
    total: int
    overdue: int


def metric_nst(f: MetricFilter) -> Nst:
    """New tickets: created in the period."""
    return Nst(f.tickets().filter(f.in_period("created_at")).count())


def _open_at(t: datetime) -> Q:
    return Q(created_at__lte=t) & (Q(solved_at__isnull=True) | Q(solved_at__gt=t))


def metric_backlog_now(f: MetricFilter) -> Backlog:
    """Active tickets now; overdue: their resolution SLA timer is breached and still open."""
    breached = SlaClock.objects.filter(
        ticket_id=OuterRef("pk"),
        metric=Metric.RESOLUTION,
        status=ClockStatus.BREACHED,
        stopped_at__isnull=True,
    )
    row = (
        f.tickets()
        .filter(status__in=ACTIVE_STATUSES)
        .aggregate(total=Count("pk"), overdue=Count("pk", filter=Q(Exists(breached))))
    )
    return Backlog(at=timezone.now(), total=row["total"], overdue=row["overdue"])


def backlog_points(f: MetricFilter, *, limit: int = 92) -> list[datetime]:
    """The end of every day of the period (capped at now), at most `limit` points."""
    now = timezone.now()
    days = max(1, round(f.length / timedelta(days=1)))
    step = max(1, -(-days // limit))
    points = []
    t = f.start + timedelta(days=step)
    while t < f.end + timedelta(seconds=1):
        points.append(min(t, now))
        if t >= now:
            break
        t += timedelta(days=step)
    return points or [min(f.end, now)]


def metric_backlog_series(f: MetricFilter, points: list[datetime] | None = None) -> list[Backlog]:
    """Backlog at each instant, in one query (one conditional count per instant).

    History is read from the tickets' current facts: a ticket counts as open from
    `created_at` until its (latest) `solved_at`. Overdue: the resolution timer had breached
    by then (`breached_at <= t`) and the ticket was still open.

    The resolution clock comes in by one outer join (a ticket has at most one per metric),
    not by a subquery per ticket and instant: 90 correlated EXISTS per ticket took 24 s
    over 10,000 tickets.
    """
    points = points or backlog_points(f)
    aggs = {}
    for i, t in enumerate(points):
        aggs[f"t{i}"] = Count("pk", filter=_open_at(t))
        aggs[f"o{i}"] = Count("pk", filter=_open_at(t) & Q(resolution_clock__breached_at__lte=t))
    first = min(points)
    last = max(points)
    row = (
        f.tickets()
        .filter(Q(created_at__lte=last) & (Q(solved_at__isnull=True) | Q(solved_at__gt=first)))
        .annotate(
            resolution_clock=FilteredRelation(
                "sla_clocks", condition=Q(sla_clocks__metric=Metric.RESOLUTION)
            )
        )
        .aggregate(**aggs)
    )
    return [Backlog(at=t, total=row[f"t{i}"], overdue=row[f"o{i}"]) for i, t in enumerate(points)]
