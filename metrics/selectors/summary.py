"""The summary every dashboard and `GET /api/metrics/summary/` start from."""

from __future__ import annotations

from dataclasses import asdict, dataclass, is_dataclass

from metrics import rollup
from metrics.filters import MetricFilter
from metrics.models import MetricsSettings
from metrics.selectors.common import DurationStats, Rate, change, response_scope
from metrics.selectors.quality import (
    Resolution,
    metric_repeat_contact,
    metric_resolution_quality,
)
from metrics.selectors.responsiveness import (
    Aht,
    aht_estimated,
    metric_aht,
    metric_frt,
    metric_resolution,
    work_tracked,
)
from metrics.selectors.sla import metric_sla
from metrics.selectors.surveys import metric_ces, metric_csat, metric_nps
from metrics.selectors.volume import metric_backlog_now, metric_nst

# (metric, good direction): +1 higher is better, −1 lower is better.
DIRECTION = {
    "nst": 0,
    "frt_mean": -1,
    "frt_median": -1,
    "frt_p90": -1,
    "resolution_mean": -1,
    "aht": -1,
    "fcr": 1,
    "one_touch": 1,
    "reopen_rate": -1,
    "bot_containment": 1,
    "replies_per_ticket": -1,
    "repeat_contact": -1,
    "sla_compliance": 1,
    "frtr": -1,
    "artr": -1,
    "csat": 1,
    "nps": 1,
    "ces": -1,
}


@dataclass(frozen=True)
class TicketFigures:
    nst: int
    frt: DurationStats
    resolution: DurationStats
    aht: Aht
    quality: Resolution
    repeat: Rate


def ticket_figures(
    f: MetricFilter, *, window_days: int, tracked: bool, fast: bool = True
) -> TicketFigures:
    """The ticket figures of the summary and the operations page. `fast`: from the daily
    rollups where the filter allows (metrics.rollup; identical to the raw selectors), raw
    selectors otherwise."""
    if fast and rollup.supports(f):
        ff = rollup.fast_figures(f, window_days=window_days)
        if tracked:
            aht = metric_aht(f, tracked=True)
        else:
            minutes = MetricsSettings.load().default_handle_minutes
            aht = aht_estimated(ff.quality.agent_replies, ff.replied, minutes)
        return TicketFigures(ff.nst, ff.frt, ff.resolution, aht, ff.quality, ff.repeat)
    return TicketFigures(
        nst=metric_nst(f).value,
        frt=metric_frt(f),
        resolution=metric_resolution(f),
        aht=metric_aht(f, tracked=tracked),
        quality=metric_resolution_quality(f, window_days=window_days),
        repeat=metric_repeat_contact(f),
    )


def _figures(f: MetricFilter, *, window_days: int, tracked: bool, fast: bool = True) -> dict:
    """The summary's figures (ticket figures: `ticket_figures`)."""
    tf = ticket_figures(f, window_days=window_days, tracked=tracked, fast=fast)
    nst, frt, res, q, repeat, aht = tf.nst, tf.frt, tf.resolution, tf.quality, tf.repeat, tf.aht
    sla = metric_sla(f, fast=fast)
    nps = metric_nps(f)
    return {
        "nst": nst,
        "answered": frt.count,
        "frt_mean": frt.mean,
        "frt_median": frt.median,
        "frt_p90": frt.p90,
        "solved": q.solved,
        "resolution_mean": res.mean,
        "resolution_median": res.median,
        "aht": aht.mean,
        "aht_source": aht.source,
        "fcr": q.fcr_rate.value,
        "one_touch": q.one_touch_rate.value,
        "reopen_rate": q.reopen_rate.value,
        "bot_containment": q.bot_containment.value,
        "replies_per_ticket": q.replies_per_ticket,
        "repeat_contact": repeat.value,
        "sla_compliance": sla.compliance,
        "frtr": sla.first_response.value,
        "artr": sla.resolution.value,
        "csat": metric_csat(f).value,
        "nps": nps.value,
        "ces": metric_ces(f).mean,
    }


@response_scope()
def metric_summary(f: MetricFilter, *, compare: bool = True, fast: bool = True) -> dict:
    """Current figures, the previous period's, and the change in % for each.

    `fast=False` computes every figure from the raw rows (the reference the rollups are
    checked against)."""
    s = MetricsSettings.load()
    tracked = work_tracked()
    current = _figures(f, window_days=s.fcr_window_days, tracked=tracked, fast=fast)
    backlog = metric_backlog_now(f)
    out = {
        "period": {"from": f.start.isoformat(), "to": f.end.isoformat()},
        "filters": {
            "channel": f.channel,
            "team": f.team,
            "agent": f.agent,
            "tag": f.tag,
            "priority": f.priority,
        },
        "current": current,
        "backlog": {"total": backlog.total, "overdue": backlog.overdue},
    }
    if compare:
        prev_f = f.previous()
        previous = _figures(prev_f, window_days=s.fcr_window_days, tracked=tracked, fast=fast)
        out["previous_period"] = {"from": prev_f.start.isoformat(), "to": prev_f.end.isoformat()}
        out["previous"] = previous
        out["change"] = {
            k: change(v, previous.get(k))
            for k, v in current.items()
            if isinstance(v, int | float) and not isinstance(v, bool)
        }
    return out


def jsonable(value):
    if is_dataclass(value):
        return jsonable(asdict(value))
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if type(value).__name__ == "Decimal":
        return str(value)
    return value
