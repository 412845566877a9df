"""SLA: FRTR / ARTR (breach rates) and compliance, by target and broken down."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Q

from metrics.filters import MetricFilter
from metrics.models import MetricsSettings
from metrics.selectors.common import Rate
from sla.models import ClockStatus, Metric, SlaClock
from tickets.models import Channel, Team

DECIDED = [ClockStatus.MET, ClockStatus.BREACHED]


@dataclass(frozen=True)
class SlaRates:
    first_response: Rate  # breached ÷ decided first-response timers (FRTR)
    resolution: Rate  # breached ÷ decided resolution timers (ARTR)

    @property
    def breached(self) -> int:
        return self.first_response.numerator + self.resolution.numerator

    @property
    def decided(self) -> int:
        return self.first_response.denominator + self.resolution.denominator

    @property
    def compliance(self) -> float | None:
        """1 − breach share over both targets."""
        return None if not self.decided else 1 - self.breached / self.decided


def clocks(f: MetricFilter):
    return SlaClock.objects.filter(f.ticket_q("ticket__"), f.in_period("ticket__created_at"))


def metric_sla(f: MetricFilter, *, fast: bool = True) -> SlaRates:
    """Timers of tickets created in the period that are decided (met or breached).

    A timer still running or paused is not counted until it is met or breaches. `fast`:
    from the daily rollups where the filter allows (metrics.rollup.sla_counts; the same
    numbers as the raw clocks)."""
    counts = _counts_by(f, None, fast=fast)
    return _rates(counts, None)


def _counts_by(f: MetricFilter, by: str | None, *, fast: bool) -> dict:
    """{(key, metric): [decided, breached]}; key None without `by`."""
    from metrics import rollup

    if fast and rollup.supports(f):
        window = MetricsSettings.load().fcr_window_days
        return rollup.sla_counts(f, window_days=window, by=by)
    qs = clocks(f).filter(metric__in=METRICS, status__in=DECIDED)
    fields = ["metric"]
    if by is not None:
        qs = qs.annotate(_k=F(BREAKDOWNS[by][0]))
        fields = ["_k", "metric"]
    out = {}
    for r in (
        qs.values(*fields)
        .annotate(n=Count("pk"), b=Count("pk", filter=Q(status=ClockStatus.BREACHED)))
        .order_by()
    ):
        out[(r.get("_k"), r["metric"])] = [r["n"], r["b"]]
    return out


def _rates(counts: dict, key) -> SlaRates:
    fr = counts.get((key, Metric.FIRST_RESPONSE), [0, 0])
    res = counts.get((key, Metric.RESOLUTION), [0, 0])
    return SlaRates(first_response=Rate(fr[1], fr[0]), resolution=Rate(res[1], res[0]))


METRICS = (Metric.FIRST_RESPONSE, Metric.RESOLUTION)
BREAKDOWNS = {
    "team": ("ticket__team_id", Team),
    "channel": ("ticket__channel_id", Channel),
    "priority": ("ticket__priority", None),
}


@dataclass(frozen=True)
class SlaRow:
    key: object
    label: str
    first_response: Rate
    resolution: Rate


def metric_sla_breakdown(f: MetricFilter, by: str, *, fast: bool = True) -> list[SlaRow]:
    """Per team, channel or priority, ordered by name ("—" for none, last)."""
    counts = _counts_by(f, by, fast=fast)
    keys = {k for k, _m in counts}
    model = BREAKDOWNS[by][1]
    if model is None:
        names = {k: k for k in keys}
    else:
        names = dict(model.objects.filter(pk__in=keys).values_list("pk", "name"))
    rows = []
    for k in keys:
        rates = _rates(counts, k)
        if rates.first_response.denominator or rates.resolution.denominator:
            name = names.get(k)
            rows.append(SlaRow(k, name or "—", rates.first_response, rates.resolution))
    rows.sort(key=lambda r: (names.get(r.key) is None, r.label, str(r.key)))
    return rows


def overdue_tickets(f: MetricFilter, limit: int = 50):
    """Active tickets whose resolution or first-response timer is breached and open."""
    from tickets.models import ACTIVE_STATUSES, Ticket

    breached = SlaClock.objects.filter(status=ClockStatus.BREACHED, stopped_at__isnull=True).values(
        "ticket_id"
    )
    return (
        Ticket.objects.filter(f.ticket_q(), status__in=ACTIVE_STATUSES, pk__in=breached)
        .select_related("customer", "channel", "assignee", "team")
        .order_by("created_at")[:limit]
    )
