"""Per-ticket facts recorded as they happen (TicketFact)."""

from __future__ import annotations

from django.utils import timezone

from metrics.models import TicketFact
from tickets.models import Ticket


def fact_solved(*, ticket: Ticket) -> None:
    """Keep the first solve: later solves (after a reopen) do not move it. The latest
    solve is kept too (`last_solved_at`), for the rollup day a reopen leaves."""
    at = ticket.solved_at or timezone.now()
    seconds = (at - ticket.created_at).total_seconds()
    fact, created = TicketFact.objects.get_or_create(
        ticket_id=ticket.pk,
        defaults={"first_solved_at": at, "last_solved_at": at, "resolution_seconds": seconds},
    )
    if not created:
        TicketFact.objects.filter(pk=ticket.pk).update(last_solved_at=at)
        if fact.first_solved_at is None:
            TicketFact.objects.filter(pk=ticket.pk, first_solved_at__isnull=True).update(
                first_solved_at=at, resolution_seconds=seconds
            )


def business_seconds(ticket: Ticket, start, end) -> float:
    """Seconds between start and end in the business hours of the ticket's SLA policy;
    calendar seconds when the policy counts calendar time or no policy matches."""
    from sla.business_time import seconds_between
    from sla.selectors import sla_calendar_load, sla_policy_for_ticket

    policy = sla_policy_for_ticket(ticket=ticket)
    if policy is None or not policy.business_hours or policy.calendar is None:
        return (end - start).total_seconds()
    return float(seconds_between(start, end, sla_calendar_load(calendar=policy.calendar)))


def fact_first_response(*, ticket: Ticket) -> None:
    if ticket.first_response_at is None or ticket.first_customer_message_at is None:
        return
    seconds = business_seconds(ticket, ticket.first_customer_message_at, ticket.first_response_at)
    TicketFact.objects.update_or_create(
        ticket_id=ticket.pk, defaults={"frt_business_seconds": seconds}
    )
