"""Distributions: weekday × hour heatmap, FRT histogram, breakdowns, daily trend."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Avg, Count, F, Q
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncDate
from django.utils import timezone

from metrics import rollup
from metrics.filters import MetricFilter
from metrics.selectors.responsiveness import FRT, frt_tickets

# Upper edges of the FRT histogram, minutes; the last bucket is open-ended.
FRT_BUCKETS = [5, 10, 15, 30, 60, 120, 240, 480, 1440]


def _window() -> int:
    from metrics.models import MetricsSettings

    return MetricsSettings.load().fcr_window_days


def metric_heatmap(f: MetricFilter) -> list[list[int]]:
    """Tickets created per weekday (0 = Monday) × hour, in the current time zone: from the
    hourly rollups when the time zone's offset is whole hours over the period."""
    if rollup.supports(f):
        grid = _heatmap_from_hours(rollup.hour_counts(f, window_days=_window()))
        if grid is not None:
            return grid
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


def _heatmap_from_hours(counts: dict) -> list[list[int]] | None:
    grid = [[0] * 24 for _ in range(7)]
    for (d, h), n in counts.items():
        local = timezone.localtime(rollup.day_start(d) + timedelta(hours=h))
        if local.utcoffset() % timedelta(hours=1):
            return None  # a UTC hour spans two local hours
        grid[local.isoweekday() - 1][local.hour] += n
    return grid


@dataclass(frozen=True)
class Bucket:
    label: str
    low: int  # minutes, inclusive
    high: int | None  # minutes, exclusive
    count: int


def metric_frt_histogram(f: MetricFilter) -> list[Bucket]:
    """FRT counts per bucket [low, high) in minutes: from the FRT value buckets of the
    rollups where the filter allows, otherwise one conditional count per bucket."""
    edges = [0, *FRT_BUCKETS]
    counts = None
    if rollup.supports(f):
        counts = rollup.frt_bins(f, window_days=_window(), edges=[e * 60 for e in edges])
    if counts is not None:
        return [
            Bucket(
                f"{low}–{edges[i + 1]} min" if i + 1 < len(edges) else f"≥ {low} min",
                low,
                edges[i + 1] if i + 1 < len(edges) else None,
                counts[i],
            )
            for i, low in enumerate(edges)
        ]
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


def _breakdown_order(row: BreakdownRow, raw_label) -> tuple:
    return (-row.created, raw_label is None, str(raw_label or ""))


def metric_breakdown(f: MetricFilter, by: str) -> list[BreakdownRow]:
    """Per channel / team / priority / tag: tickets created in the period, how many got a
    human answer and their mean FRT, how many of them are solved. A ticket with several tags
    counts under each. Most tickets first, then by name ("—" for none, last). Channel, team
    and priority from the daily rollups where the filter allows."""
    key, label = BREAKDOWN_FIELDS[by]
    if by != "tag" and rollup.supports(f):
        return _breakdown_from_rollups(f, by)
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
        .order_by()
    )
    out = [
        (
            BreakdownRow(
                key=r["k"],
                label=str(r["label"] or "—"),
                created=r["created"],
                answered=r["answered"],
                frt_mean=None if r["frt"] is None else round(r["frt"], 1),
                solved=r["solved"],
            ),
            r["label"],
        )
        for r in rows
    ]
    return [row for row, _l in sorted(out, key=lambda x: _breakdown_order(*x))]


BREAKDOWN_NAMES = {"channel": "channel_id", "team": "team_id", "priority": "priority"}


def _names(by: str, keys) -> dict:
    from tickets.models import Channel, Team

    if by == "priority":
        return {k: k for k in keys}
    model = Channel if by == "channel" else Team
    return dict(model.objects.filter(pk__in=keys).values_list("pk", "name"))


def _breakdown_from_rollups(f: MetricFilter, by: str) -> list[BreakdownRow]:
    fields = ("created", "responded", "answered", "frt_sum", "created_solved")
    sums = rollup.grouped_sums(f, window_days=_window(), by=(BREAKDOWN_NAMES[by],), fields=fields)
    names = _names(by, {k for (k,) in sums})
    out = []
    for (k,), v in sums.items():
        if not v["created"]:
            continue
        raw_label = names.get(k)
        frt = v["frt_sum"] / v["answered"] if v["answered"] else None
        row = BreakdownRow(
            key=k,
            label=str(raw_label or "—"),
            created=v["created"],
            answered=v["responded"],
            frt_mean=None if frt is None else round(frt, 1),
            solved=v["created_solved"],
        )
        out.append((row, raw_label))
    return [row for row, _l in sorted(out, key=lambda x: _breakdown_order(*x))]


def metric_daily_by_channel(f: MetricFilter) -> list[dict]:
    """Tickets created per day (current time zone) and channel: [{day, channel_name, created}]."""
    if rollup.supports(f) and rollup.utc_days_local():
        sums = rollup.grouped_sums(
            f, window_days=_window(), by=("day", "channel_id"), fields=("created",)
        )
        names = _names("channel", {ch for _d, ch in sums})
        grid: dict = defaultdict(int)
        for (d, ch), v in sums.items():
            if v["created"]:
                grid[(d, names.get(ch))] += v["created"]
        rows = [{"day": d, "channel_name": n, "created": c} for (d, n), c in grid.items()]
    else:
        rows = list(
            f.tickets()
            .filter(f.in_period("created_at"))
            .annotate(day=TruncDate("created_at"))
            .values("day", channel_name=F("channel__name"))
            .annotate(created=Count("pk"))
            .order_by()
        )
    return sorted(rows, key=lambda r: (r["day"], r["channel_name"]))


def metric_daily_frt(f: MetricFilter) -> list[dict]:
    """Per day of creation: answered tickets and their mean FRT: [{day, answered, frt}]."""
    if rollup.supports(f) and rollup.utc_days_local():
        sums = rollup.grouped_sums(
            f, window_days=_window(), by=("day",), fields=("answered", "frt_sum")
        )
        return [
            {"day": d, "answered": v["answered"], "frt": v["frt_sum"] / v["answered"]}
            for (d,), v in sorted(sums.items())
            if v["answered"]
        ]
    return list(
        frt_tickets(f)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(answered=Count("pk"), frt=Avg(FRT))
        .order_by("day")
    )
