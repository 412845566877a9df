"""SLA: FRTR / ARTR (breach rates) and compliance, by target and broken down."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Q

from metrics.filters import MetricFilter
from metrics.selectors.common import Rate
from sla.models import ClockStatus, Metric, SlaClock

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


def _counts(metric: str) -> dict:
    m = Q(metric=metric, status__in=DECIDED)
    return {
        f"{metric}_n": Count("pk", filter=m),
        f"{metric}_b": Count("pk", filter=m & Q(status=ClockStatus.BREACHED)),
    }


def metric_sla(f: MetricFilter) -> SlaRates:
    """Timers of tickets created in the period that are decided (met or breached).

    A timer still running or paused is not counted until it is met or breaches.
    """
    row = clocks(f).aggregate(**_counts(Metric.FIRST_RESPONSE), **_counts(Metric.RESOLUTION))
    fr, res = Metric.FIRST_RESPONSE, Metric.RESOLUTION
    return SlaRates(
        first_response=Rate(row[f"{fr}_b"], row[f"{fr}_n"]),
        resolution=Rate(row[f"{res}_b"], row[f"{res}_n"]),
    )


BREAKDOWNS = {
    "team": ("ticket__team_id", "ticket__team__name"),
    "channel": ("ticket__channel_id", "ticket__channel__name"),
    "priority": ("ticket__priority", "ticket__priority"),
}


@dataclass(frozen=True)
class SlaRow:
    key: object
    label: str
    first_response: Rate
    resolution: Rate


def metric_sla_breakdown(f: MetricFilter, by: str) -> list[SlaRow]:
    key, label = BREAKDOWNS[by]
    rows = (
        clocks(f)
        .values(k=F(key), label=F(label))
        .annotate(**_counts(Metric.FIRST_RESPONSE), **_counts(Metric.RESOLUTION))
        .order_by("label")
    )
    fr, res = Metric.FIRST_RESPONSE, Metric.RESOLUTION
    return [
        SlaRow(
            key=r["k"],
            label=r["label"] or "—",
            first_response=Rate(r[f"{fr}_b"], r[f"{fr}_n"]),
            resolution=Rate(r[f"{res}_b"], r[f"{res}_n"]),
        )
        for r in rows
        if r[f"{fr}_n"] or r[f"{res}_n"]
    ]


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
