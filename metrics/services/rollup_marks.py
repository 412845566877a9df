"""Which rollup days a ticket change touches (marked in the change's own transaction)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Max, Min, Q
from django.utils import timezone

from metrics.models import MetricsSettings, TicketFact
from metrics.rollup import rollup_mark
from tickets.models import Ticket


def mark_ticket(*, ticket: Ticket, previous_solved_at=None) -> None:
    """The ticket's created day (NST, FRT, repeat pairs) and solved day (solved cohort)."""
    rollup_mark(ticket.created_at)
    if ticket.solved_at:
        rollup_mark(ticket.solved_at)
    if previous_solved_at:
        rollup_mark(previous_solved_at)


def mark_reopen(*, ticket: Ticket) -> None:
    """A reopen clears `solved_at`: the day the ticket was counted solved is the latest solve
    metrics saw; a ticket solved before metrics listened: every day since its creation."""
    last = TicketFact.objects.filter(pk=ticket.pk).values_list("last_solved_at", flat=True).first()
    if last:
        rollup_mark(last)
    else:
        rollup_mark(ticket.created_at, timezone.now())


def mark_sequence(*, ticket: Ticket) -> None:
    """The ticket joins or leaves its customer's sequence: the next two tickets' previous
    tickets change (repeat pairs); created: it is the "came back" of the customer's
    tickets solved within the FCR window before it."""
    after = (
        Ticket.objects.filter(customer_id=ticket.customer_id, merged_into__isnull=True)
        .filter(
            Q(created_at__gt=ticket.created_at) | Q(created_at=ticket.created_at, pk__gt=ticket.pk)
        )
        .order_by("created_at", "pk")
        .values_list("created_at", flat=True)[:2]
    )
    for moment in after:
        rollup_mark(moment)
    window = MetricsSettings.load().fcr_window_days
    row = (
        Ticket.objects.filter(
            customer_id=ticket.customer_id,
            solved_at__gte=ticket.created_at - timedelta(days=window),
            solved_at__lt=ticket.created_at,
        )
        .exclude(pk=ticket.pk)
        .aggregate(a=Min("solved_at"), b=Max("solved_at"))
    )
    if row["a"]:
        rollup_mark(row["a"], row["b"])
