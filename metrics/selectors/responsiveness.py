"""FRT (calendar and business hours), resolution time, AHT."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Avg, Count, F, Q, Sum
from django.db.models.functions import Coalesce

from metrics.aggregates import PercentileCont, Seconds, percentiles, supports_percentile
from metrics.filters import MetricFilter
from metrics.models import MetricsSettings, TicketFact
from metrics.selectors.common import DurationStats
from tickets.models import WorkSession


def frt_seconds(prefix: str = "") -> Seconds:
    return Seconds(f"{prefix}first_response_at", f"{prefix}first_customer_message_at")


FRT = frt_seconds()
# The first solve: recorded by metrics when it happens; the ticket's solve time otherwise.
FIRST_SOLVED = Coalesce(F("metric_fact__first_solved_at"), F("solved_at"))
RESOLUTION = Seconds(FIRST_SOLVED, "created_at")


def _stats(queryset, expression) -> DurationStats:
    """Count, mean, median and p90 of `expression`; on PostgreSQL in one query (the two
    percentiles share one sort), on SQLite an aggregate plus the sorted column."""
    if supports_percentile():
        row = queryset.aggregate(
            n=Count(expression),
            mean=Avg(expression),
            median=PercentileCont(expression, 0.5),
            p90=PercentileCont(expression, 0.9),
        )
        return DurationStats.of(row["n"], row["mean"], row["median"], row["p90"])
    row = queryset.aggregate(n=Count(expression), mean=Avg(expression))
    if not row["n"]:
        return DurationStats.of(0, None, None, None)
    median, p90 = percentiles(queryset, expression, (0.5, 0.9))
    return DurationStats.of(row["n"], row["mean"], median, p90)


def frt_tickets(f: MetricFilter):
    """Tickets the FRT is taken over: created in the period and answered by a human."""
    return f.tickets().filter(
        f.in_period("created_at"),
        first_response_at__isnull=False,
        first_customer_message_at__isnull=False,
    )


def metric_frt(f: MetricFilter) -> DurationStats:
    """First response time in calendar seconds: mean (AFRT), median, p90."""
    return _stats(frt_tickets(f), FRT)


def metric_frt_business(f: MetricFilter) -> DurationStats:
    """First response time in the business hours of each ticket's SLA policy."""
    facts = TicketFact.objects.filter(
        f.ticket_q("ticket__"),
        f.in_period("ticket__created_at"),
        frt_business_seconds__isnull=False,
    )
    return _stats(facts, F("frt_business_seconds"))


def metric_frt_business_mean(f: MetricFilter) -> float | None:
    """The mean of `metric_frt_business` alone (no percentile sort); from the daily rollups
    where the filter allows."""
    from metrics import rollup

    if rollup.supports(f):
        window = MetricsSettings.load().fcr_window_days
        sums = rollup.fast_sums(f, window_days=window, full=True)
        n = sums["frt_business_n"]
        return sums["frt_business_sum"] / n if n else None
    facts = TicketFact.objects.filter(
        f.ticket_q("ticket__"),
        f.in_period("ticket__created_at"),
        frt_business_seconds__isnull=False,
    )
    return facts.aggregate(mean=Avg("frt_business_seconds"))["mean"]


def solved_tickets(f: MetricFilter):
    """Tickets solved in the period (their current solve time falls in it)."""
    return f.tickets().filter(f.in_period("solved_at"))


def metric_resolution(f: MetricFilter) -> DurationStats:
    """First solve − creation, over tickets solved in the period."""
    return _stats(solved_tickets(f), RESOLUTION)


@dataclass(frozen=True)
class Aht:
    source: str  # "tracked" (workspace time tracking) or "estimated" (replies × default)
    tickets: int
    seconds: float  # total handling time
    mean: float | None  # per handled ticket


def work_tracked() -> bool:
    return WorkSession.objects.exists()


def metric_aht(f: MetricFilter, *, tracked: bool | None = None) -> Aht:
    """Average handling time per handled ticket.

    Tracked: work sessions that ended in the period, summed per ticket, divided by the
    tickets they cover. The agent filter is the agent who worked, not the assignee.
    Estimated (no work session recorded at all yet): tickets with an agent reply solved in
    the period, agent replies × `default_handle_minutes`.
    """
    if tracked is None:
        tracked = work_tracked()
    if tracked:
        q = f.in_period("ended_at") & _dims_without_agent(f)
        if f.agent:
            q &= Q(agent_id=f.agent)
        row = WorkSession.objects.filter(q).aggregate(
            seconds=Sum("seconds"), tickets=Count("ticket_id", distinct=True)
        )
        total, n = float(row["seconds"] or 0), row["tickets"]
        return Aht("tracked", n, total, round(total / n, 3) if n else None)
    minutes = MetricsSettings.load().default_handle_minutes
    row = (
        solved_tickets(f)
        .filter(agent_reply_count__gt=0)
        .aggregate(replies=Sum("agent_reply_count"), tickets=Count("pk"))
    )
    return aht_estimated(row["replies"] or 0, row["tickets"], minutes)


def aht_estimated(replies: int, tickets: int, minutes: int) -> Aht:
    """Estimated AHT: `replies` agent replies over `tickets` solved tickets with a reply."""
    total = float(replies * minutes * 60)
    return Aht("estimated", tickets, total, round(total / tickets, 3) if tickets else None)


def _dims_without_agent(f: MetricFilter) -> Q:
    from dataclasses import replace

    return replace(f, agent=None).ticket_q("ticket__")
