"""Staffing forecast, the FRT→CSAT bins for what-if, and the ROI figures of a period."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Q

from metrics import erlang
from metrics.filters import MetricFilter
from metrics.models import MetricsSettings, SurveyKind
from metrics.roi import RoiInputs, RoiResult, roi
from metrics.selectors.distribution import metric_heatmap
from metrics.selectors.load import agents_online
from metrics.selectors.quality import metric_resolution_quality
from metrics.selectors.responsiveness import Aht, frt_seconds, metric_aht, work_tracked
from metrics.selectors.revenue import metric_revenue
from metrics.selectors.surveys import responses
from metrics.whatif import FrtBin


@dataclass(frozen=True)
class Staffing:
    weeks: int
    aht_seconds: float
    aht_source: str
    target_level: float
    target_seconds: int
    forecast: list[list[float]]  # weekday × hour: expected tickets per hour
    needed: list[list[int]]  # weekday × hour: agents (Erlang C)
    online_now: int

    @property
    def peak_needed(self) -> int:
        return max((max(r) for r in self.needed), default=0)


def metric_staffing(f: MetricFilter, *, aht: Aht | None = None) -> Staffing:
    """Forecast per weekday × hour = tickets created in that hour over the last N weeks
    (ending at the period end) ÷ N; agents needed per cell by Erlang C with the AHT of the
    last N weeks (fallback: default minutes per reply)."""
    s = MetricsSettings.load()
    weeks = s.forecast_weeks
    window = replace(f, start=f.end - timedelta(weeks=weeks))
    counts = metric_heatmap(window)
    if aht is None:
        aht = metric_aht(window)
    aht_seconds = aht.mean or s.default_handle_minutes * 60.0
    level = s.service_level_percent / 100
    forecast = [[round(c / weeks, 2) for c in row] for row in counts]
    needed = [
        [
            erlang.agents_needed(
                v, aht_seconds, target_level=level, target_seconds=s.service_level_seconds
            )
            for v in row
        ]
        for row in forecast
    ]
    return Staffing(
        weeks=weeks,
        aht_seconds=aht_seconds,
        aht_source=aht.source if aht.mean else "default",
        target_level=level,
        target_seconds=s.service_level_seconds,
        forecast=forecast,
        needed=needed,
        online_now=agents_online(),
    )


WHATIF_EDGES = [0, 5, 15, 30, 60, 120, 240, 480]


def metric_frt_csat_bins(f: MetricFilter) -> list[FrtBin]:
    """CSAT answers in the period grouped by their ticket's FRT (one conditional count per
    bin and outcome)."""
    qs = responses(f, SurveyKind.CSAT).filter(ticket__first_response_at__isnull=False)
    frt = frt_seconds("ticket__")
    aggs = {}
    for i, low in enumerate(WHATIF_EDGES):
        high = WHATIF_EDGES[i + 1] if i + 1 < len(WHATIF_EDGES) else None
        q = Q(_frt__gte=low * 60)
        if high is not None:
            q &= Q(_frt__lt=high * 60)
        aggs[f"n{i}"] = Count("pk", filter=q)
        aggs[f"g{i}"] = Count("pk", filter=q & Q(score__gte=4))
    row = qs.annotate(_frt=frt).aggregate(**aggs)
    return [
        FrtBin(
            low=low,
            high=WHATIF_EDGES[i + 1] if i + 1 < len(WHATIF_EDGES) else None,
            answers=row[f"n{i}"],
            positive=row[f"g{i}"],
        )
        for i, low in enumerate(WHATIF_EDGES)
    ]


@dataclass(frozen=True)
class RoiReport:
    inputs: RoiInputs
    result: RoiResult
    settings: MetricsSettings
    aht: Aht


def metric_roi(f: MetricFilter) -> RoiReport:
    s = MetricsSettings.load()
    rev = metric_revenue(f, window_days=s.attribution_window_days)
    aht = metric_aht(f)
    quality = metric_resolution_quality(f, window_days=s.fcr_window_days)
    days = Decimal(str(round(f.length.total_seconds() / 86400, 4)))
    inputs = RoiInputs(
        event_revenue=rev.attributed,
        revenue_events=rev.events,
        retained_customers=rev.retained_customers,
        average_check=s.average_check,
        handle_seconds=aht.seconds,
        hourly_cost=s.agent_hourly_cost,
        tool_costs_per_month=s.tool_costs_per_month,
        period_days=days,
        bot_solved=quality.bot_contained,
        human_aht_seconds=aht.mean,
    )
    return RoiReport(inputs=inputs, result=roi(inputs), settings=s, aht=aht)


__all__ = ["metric_frt_csat_bins", "metric_roi", "metric_staffing", "work_tracked"]
