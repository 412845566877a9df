"""Which rollup days a ticket change touches (marked in the change's own transaction).

Inside a scoped unit of work (helpdesk.scoped_cache: one inbound message, one transaction)
a range already marked is not marked again: the intake's subscribers mark the ticket's
created day for the created ticket, its update and its message, and one mark does."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Max, Min, Q
from django.utils import timezone

from helpdesk.scoped_cache import scoped_get
from metrics.models import MetricsSettings, TicketFact
from metrics.rollup import rollup_mark, utc_day
from tickets.models import Ticket


def _mark(d_from, d_to=None) -> None:
    """`rollup_mark`, once per range and scope."""
    days = tuple(utc_day(d) if isinstance(d, datetime) else d for d in (d_from, d_to or d_from))
    scoped_get(("metrics_marks", *sorted(days)), lambda: rollup_mark(*days) or True)


def mark_ticket(*, ticket: Ticket, previous_solved_at=None) -> None:
    """The ticket's created day (NST, FRT, repeat pairs) and solved day (solved cohort)."""
    _mark(ticket.created_at)
    if ticket.solved_at:
        _mark(ticket.solved_at)
    if previous_solved_at:
        _mark(previous_solved_at)


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
    from tickets.services.message_facts import customer_other_tickets_known

    if customer_other_tickets_known(customer_id=ticket.customer_id, ticket_id=ticket.pk) is False:
        return  # a customer the intake has just created: no other ticket to mark
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
