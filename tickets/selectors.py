"""Reads of tickets: the queue and one ticket with its conversation."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from tickets.models import Message, Ticket


def ticket_list() -> QuerySet[Ticket]:
    """Tickets for the queue and the API, default sort: priority, then oldest first.

    Filtering is done by tickets.filters.TicketFilter on top of this queryset.
    """
    return (
        Ticket.objects.select_related("customer", "channel", "assignee", "team")
        .prefetch_related("tags")
        .order_by("priority_rank", "created_at", "pk")
    )


def ticket_get(*, ticket_id: int) -> Ticket:
    return (
        Ticket.objects.select_related("customer", "channel", "assignee", "team")
        .prefetch_related(
            "tags",
            Prefetch(
                "messages",
                queryset=Message.objects.select_related("author").prefetch_related("attachments"),
            ),
        )
        .get(pk=ticket_id)
    )
