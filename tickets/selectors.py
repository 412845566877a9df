"""Reads of tickets: the queue and one ticket with its conversation."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from tickets.models import (
    ACTIVE_STATUSES,
    PRIORITY_RANK,
    CustomerIdentity,
    Message,
    Priority,
    Ticket,
    TicketEvent,
)


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


# --- operator workspace pages ----------------------------------------------------------


def queue_view_counts(*, user) -> dict[str, int]:
    """Counts of the queue's saved views, in one aggregate query."""
    active = Q(status__in=ACTIVE_STATUSES)
    return Ticket.objects.aggregate(
        mine=Count("pk", filter=active & Q(assignee_id=user.pk)),
        unassigned=Count("pk", filter=active & Q(assignee__isnull=True)),
        open=Count("pk", filter=active),
        high=Count("pk", filter=active & Q(priority_rank__lte=PRIORITY_RANK[Priority.HIGH])),
        all=Count("pk"),
    )


def ticket_get_for_workspace(*, ticket_id: int) -> Ticket:
    """One ticket with everything its page shows; the query count does not grow with rows."""
    return (
        Ticket.objects.select_related("customer", "channel", "assignee", "team")
        .prefetch_related(
            "tags",
            Prefetch(
                "messages",
                queryset=Message.objects.select_related("author").prefetch_related("attachments"),
            ),
            Prefetch("events", queryset=TicketEvent.objects.select_related("actor")),
            Prefetch(
                "customer__identities",
                queryset=CustomerIdentity.objects.select_related("channel").order_by("pk"),
            ),
        )
        .get(pk=ticket_id)
    )


def customer_previous_tickets(*, ticket: Ticket, limit: int = 10) -> list[Ticket]:
    """The customer's other tickets, newest first."""
    return list(
        Ticket.objects.filter(customer_id=ticket.customer_id)
        .exclude(pk=ticket.pk)
        .select_related("channel")
        .order_by("-created_at", "-pk")[:limit]
    )


def operator_users() -> QuerySet:
    """Active users who may work tickets (operator role or higher), for assignee pickers."""
    from django.contrib.auth import get_user_model

    from helpdesk.roles import ORDER

    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name__in=ORDER))
        .distinct()
        .order_by("first_name", "last_name", "username")
    )
