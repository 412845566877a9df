"""Staffing forecast, the FRT→CSAT bins for what-if, and the ROI figures of a period."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

from metrics import erlang, rollup
from metrics.filters import MetricFilter
from metrics.models import MetricsSettings
from metrics.roi import RoiInputs, RoiResult, roi
from metrics.selectors.distribution import metric_heatmap
from metrics.selectors.load import agents_online
from metrics.selectors.quality import metric_bot_contained
from metrics.selectors.responsiveness import (
    Aht,
    aht_estimated,
    metric_aht,
    work_tracked,
)
from metrics.selectors.revenue import (
    Revenue,
    metric_attributed,
    metric_retained,
    metric_revenue,
)


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


@dataclass(frozen=True)
class RoiReport:
    inputs: RoiInputs
    result: RoiResult
    settings: MetricsSettings
    aht: Aht
    revenue: Revenue


def metric_roi(
    f: MetricFilter, *, settings: MetricsSettings | None = None, tracked: bool | None = None
) -> RoiReport:
    """ROI of the period. Bot-solved tickets and the estimated AHT come from the daily
    rollups where the filter allows (metrics.rollup: the same numbers as the raw rows)."""
    s = settings or MetricsSettings.load()
    rev = metric_revenue(f, window_days=s.attribution_window_days)
    inputs, aht = _roi_inputs(f, s, tracked, rev.attributed, rev.events, rev.retained_customers)
    return RoiReport(inputs=inputs, result=roi(inputs), settings=s, aht=aht, revenue=rev)


def metric_roi_result(
    f: MetricFilter, *, settings: MetricsSettings | None = None, tracked: bool | None = None
) -> RoiResult:
    """`metric_roi(f).result` with fewer queries: the retained customers are counted only
    when there are no revenue events (the only case `roi` reads them)."""
    s = settings or MetricsSettings.load()
    window = s.attribution_window_days
    money = metric_attributed(f, window_days=window)
    events = money["n"]
    retained = 0 if events else metric_retained(f, window_days=window)
    amount = money["s"] or Decimal("0")
    inputs, _aht = _roi_inputs(f, s, tracked, amount, events, retained)
    return roi(inputs)


def _roi_inputs(f, s, tracked, amount, events, retained) -> tuple[RoiInputs, Aht]:
    if tracked is None:
        tracked = work_tracked()
    if rollup.supports(f):
        sums = rollup.fast_sums(f, window_days=s.fcr_window_days)
        bot_solved = sums["bot_contained"]
        if tracked:
            aht = metric_aht(f, tracked=True)
        else:
            aht = aht_estimated(sums["replies"], sums["replied"], s.default_handle_minutes)
    else:
        bot_solved = metric_bot_contained(f)
        aht = metric_aht(f, tracked=tracked)
    days = Decimal(str(round(f.length.total_seconds() / 86400, 4)))
    inputs = RoiInputs(
        event_revenue=amount,
        revenue_events=events,
        retained_customers=retained,
        average_check=s.average_check,
        handle_seconds=aht.seconds,
        hourly_cost=s.agent_hourly_cost,
        tool_costs_per_month=s.tool_costs_per_month,
        period_days=days,
        bot_solved=bot_solved,
        human_aht_seconds=aht.mean,
    )
    return inputs, aht


__all__ = [
    "metric_roi",
    "metric_roi_result",
    "metric_staffing",
    "work_tracked",
]
