"""Distributions: weekday × hour heatmap, FRT histogram, breakdowns, daily trend."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Avg, Count, F, Q
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncDate

from metrics.filters import MetricFilter
from metrics.selectors.responsiveness import FRT, frt_tickets

# Upper edges of the FRT histogram, minutes; the last bucket is open-ended.
FRT_BUCKETS = [5, 10, 15, 30, 60, 120, 240, 480, 1440]


def metric_heatmap(f: MetricFilter) -> list[list[int]]:
    """Tickets created per weekday (0 = Monday) × hour, in the current time zone."""
    rows = (
        f.tickets()
        .filter(f.in_period("created_at"))
        .annotate(wd=ExtractIsoWeekDay("created_at"), h=ExtractHour("created_at"))
        .values("wd", "h")
        .annotate(n=Count("pk"))
        .order_by()
    )
    grid = [[0] * 24 for _ in range(7)]
    for r in rows:
        grid[r["wd"] - 1][r["h"]] = r["n"]
    return grid


@dataclass(frozen=True)
class Bucket:
    label: str
    low: int  # minutes, inclusive
    high: int | None  # minutes, exclusive
    count: int


def metric_frt_histogram(f: MetricFilter) -> list[Bucket]:
    """FRT counts per bucket [low, high) in minutes, one conditional count per bucket."""
    edges = [0, *FRT_BUCKETS]
    aggs = {}
    for i, low in enumerate(edges):
        high = edges[i + 1] if i + 1 < len(edges) else None
        q = Q(_frt__gte=low * 60)
        if high is not None:
            q &= Q(_frt__lt=high * 60)
        aggs[f"b{i}"] = Count("pk", filter=q)
    row = frt_tickets(f).annotate(_frt=FRT).aggregate(**aggs)
    out = []
    for i, low in enumerate(edges):
        high = edges[i + 1] if i + 1 < len(edges) else None
        label = f"{low}–{high} min" if high is not None else f"≥ {low} min"
        out.append(Bucket(label, low, high, row[f"b{i}"]))
    return out


BREAKDOWN_FIELDS = {
    "channel": ("channel_id", "channel__name"),
    "team": ("team_id", "team__name"),
    "priority": ("priority", "priority"),
    "tag": ("tags__id", "tags__name"),
}


@dataclass(frozen=True)
class BreakdownRow:
    key: object
    label: str
    created: int
    answered: int
    frt_mean: float | None
    solved: int


def metric_breakdown(f: MetricFilter, by: str) -> list[BreakdownRow]:
    """Per channel / team / priority / tag: tickets created in the period, how many got a
    human answer and their mean FRT, how many of them are solved. A ticket with several tags
    counts under each."""
    key, label = BREAKDOWN_FIELDS[by]
    qs = f.tickets().filter(f.in_period("created_at"))
    if by == "tag":
        qs = qs.filter(tags__isnull=False)
    rows = (
        qs.values(k=F(key), label=F(label))
        .annotate(
            created=Count("pk"),
            answered=Count("pk", filter=Q(first_response_at__isnull=False)),
            frt=Avg(FRT),
            solved=Count("pk", filter=Q(solved_at__isnull=False)),
        )
        .order_by("-created", "label")
    )
    return [
        BreakdownRow(
            key=r["k"],
            label=str(r["label"] or "—"),
            created=r["created"],
            answered=r["answered"],
            frt_mean=None if r["frt"] is None else round(r["frt"], 1),
            solved=r["solved"],
        )
        for r in rows
    ]


def metric_daily_by_channel(f: MetricFilter) -> list[dict]:
    """Tickets created per day (current time zone) and channel: [{day, channel_name, created}]."""
    return list(
        f.tickets()
        .filter(f.in_period("created_at"))
        .annotate(day=TruncDate("created_at"))
        .values("day", channel_name=F("channel__name"))
        .annotate(created=Count("pk"))
        .order_by("day", "channel_name")
    )


def metric_daily_frt(f: MetricFilter) -> list[dict]:
    """Per day of creation: answered tickets and their mean FRT: [{day, answered, frt}]."""
    return list(
        frt_tickets(f)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(answered=Count("pk"), frt=Avg(FRT))
        .order_by("day")
    )
