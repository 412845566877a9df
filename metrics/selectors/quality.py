"""Quality of resolution: FCR, one-touch, reopen rate, replies per ticket, bot containment,
repeat contact rate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, DateTimeField, Exists, ExpressionWrapper, OuterRef, Q, Sum

from metrics.filters import MetricFilter
from metrics.models import MetricsSettings
from metrics.selectors.common import Rate, ratio
from metrics.selectors.responsiveness import solved_tickets
from tickets.models import AuthorKind, Message, Ticket


@dataclass(frozen=True)
class Resolution:
    solved: int
    one_touch: int
    fcr: int
    reopened: int
    bot_contained: int
    agent_replies: int

    @property
    def fcr_rate(self) -> Rate:
        return Rate(self.fcr, self.solved)

    @property
    def one_touch_rate(self) -> Rate:
        return Rate(self.one_touch, self.solved)

    @property
    def reopen_rate(self) -> Rate:
        return Rate(self.reopened, self.solved)

    @property
    def bot_containment(self) -> Rate:
        return Rate(self.bot_contained, self.solved)

    @property
    def replies_per_ticket(self) -> float | None:
        v = ratio(self.agent_replies, self.solved)
        return None if v is None else round(v, 3)


def came_back_q(window_days: int) -> Q:
    """The same customer opened another ticket within `window_days` after this solve."""
    until = ExpressionWrapper(
        OuterRef("solved_at") + timedelta(days=window_days), output_field=DateTimeField()
    )
    later = Ticket.objects.filter(
        customer_id=OuterRef("customer_id"),
        created_at__gt=OuterRef("solved_at"),
        created_at__lte=until,
    ).exclude(pk=OuterRef("pk"))
    return Q(Exists(later))


def bot_only_q() -> Q:
    """A bot answered and no human agent replied publicly."""
    bot = Message.objects.filter(
        ticket_id=OuterRef("pk"), author_kind=AuthorKind.BOT, is_internal=False
    )
    return Q(agent_reply_count=0) & Q(Exists(bot))


def metric_resolution_quality(f: MetricFilter, *, window_days: int | None = None) -> Resolution:
    """One query over the tickets solved in the period."""
    if window_days is None:
        window_days = MetricsSettings.load().fcr_window_days
    one = Q(agent_reply_count=1)
    row = solved_tickets(f).aggregate(
        solved=Count("pk"),
        one_touch=Count("pk", filter=one),
        fcr=Count("pk", filter=one & Q(reopen_count=0) & ~came_back_q(window_days)),
        reopened=Count("pk", filter=Q(reopen_count__gt=0)),
        bot=Count("pk", filter=bot_only_q()),
        replies=Sum("agent_reply_count"),
    )
    return Resolution(
        solved=row["solved"],
        one_touch=row["one_touch"],
        fcr=row["fcr"],
        reopened=row["reopened"],
        bot_contained=row["bot"],
        agent_replies=row["replies"] or 0,
    )


def metric_bot_contained(f: MetricFilter) -> int:
    """Tickets solved in the period that only a bot answered (as `metric_resolution_quality`
    counts them), without its FCR subquery."""
    return solved_tickets(f).filter(bot_only_q()).count()


def metric_repeat_contact(f: MetricFilter) -> Rate:
    """Customers with more than one ticket created in the period ÷ customers with one."""
    per_customer = (
        f.tickets()
        .filter(f.in_period("created_at"))
        .values("customer_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    row = per_customer.aggregate(
        customers=Count("customer_id"), repeat=Count("customer_id", filter=Q(n__gt=1))
    )
    return Rate(row["repeat"] or 0, row["customers"] or 0)
