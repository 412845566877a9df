"""Reads of tickets: the queue and one ticket with its conversation."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet, Sum, Window
from django.utils import timezone

from tickets.models import (
    ACTIVE_STATUSES,
    PRIORITY_RANK,
    AgentProfile,
    CannedResponse,
    CustomerIdentity,
    Message,
    Priority,
    Team,
    Ticket,
    TicketEvent,
    WorkSession,
)
from tickets.visibility import tickets_visible_to


def ticket_list() -> QuerySet[Ticket]:
    """Tickets for the queue and the API, default sort: priority, then oldest first.

    Filtering is done by tickets.filters.TicketFilter on top of this queryset.
    """
    return (
        Ticket.objects.select_related("customer", "channel", "assignee", "team")
        .prefetch_related("tags")
        .order_by("priority_rank", "created_at", "pk")
    )


def ticket_page_ids(qs: QuerySet[Ticket], *, offset: int, limit: int) -> tuple[list[int], int]:
    """The ids of one page of `qs` (in its order) and how many rows `qs` has, in one query.

    For the queue's search: its matches must all be found both to count them and to sort
    them, so one pass does both, and it reads only the ticket rows (the page's rows with
    their customer, channel... are then read by id: 50 rows, not every match). The total
    is 0 when the page is empty (past the end: the caller counts then)."""
    rows = list(
        qs.annotate(_total=Window(Count("pk"))).values_list("pk", "_total")[offset : offset + limit]
    )
    return [pk for pk, _total in rows], (rows[0][1] if rows else 0)


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


def ticket_overdue_condition() -> Q:
    """Active tickets past an SLA due time (a breached or late running clock): sla keeps the
    nearest due time on the ticket, so this needs no join."""
    return Q(sla_due_at__lte=timezone.now())


def queue_view_counts(*, user) -> dict[str, int]:
    """Counts of the queue's saved views, in one aggregate query over active tickets only (the
    cost follows the open work, not the history; "All tickets" has no count for that reason).
    Counting priority_rank (never NULL) rather than id lets PostgreSQL answer from the
    ticket_active_counts index alone. An operator restricted to their teams counts only the
    tickets they can see."""
    active = tickets_visible_to(user, Ticket.objects.filter(status__in=ACTIVE_STATUSES))
    return active.aggregate(
        mine=Count("priority_rank", filter=Q(assignee_id=user.pk)),
        unassigned=Count("priority_rank", filter=Q(assignee__isnull=True)),
        overdue=Count("priority_rank", filter=ticket_overdue_condition()),
        open=Count("priority_rank"),
        high=Count("priority_rank", filter=Q(priority_rank__lte=PRIORITY_RANK[Priority.HIGH])),
    )


def ticket_get_for_workspace(*, ticket_id: int, user=None) -> Ticket:
    """One ticket with everything its page shows; the query count does not grow with rows.
    With `user`, a ticket they may not see raises Ticket.DoesNotExist like a missing one."""
    qs = Ticket.objects.all() if user is None else tickets_visible_to(user)
    return (
        qs.select_related("customer", "channel", "assignee", "team")
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


def customer_previous_tickets(*, ticket: Ticket, user=None, limit: int = 10) -> list[Ticket]:
    """The customer's other tickets, newest first, with what they need to show their outcome
    (status, solve time, the ticket they were merged into). One query whatever their number.
    With `user`, only the tickets they may see (another team's stay hidden)."""
    qs = Ticket.objects.all() if user is None else tickets_visible_to(user)
    return list(
        qs.filter(customer_id=ticket.customer_id)
        .exclude(pk=ticket.pk)
        .select_related("channel")
        .only(
            "pk",
            "subject",
            "last_message_preview",
            "status",
            "created_at",
            "solved_at",
            "merged_into_id",
            "channel__kind",
            "channel__name",
        )
        .order_by("-created_at", "-pk")[:limit]
    )


def customer_ticket_count(*, customer_id: int, user=None, limit: int | None = None) -> int:
    """The customer's tickets (those `user` may see); with `limit`, counted up to `limit` only,
    so a customer with a huge history costs no more than one with `limit` tickets."""
    qs = Ticket.objects.all() if user is None else tickets_visible_to(user)
    qs = qs.filter(customer_id=customer_id)
    if limit is not None:
        qs = qs.order_by()[:limit]
    return qs.count()


def ticket_last_public_message_id(*, ticket: Ticket) -> int:
    """The id of the newest message the customer can see (0 when none): the reply form
    carries it so a reply written meanwhile by someone else is noticed."""
    last = (
        Message.objects.filter(ticket=ticket, is_internal=False)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return last or 0


def ticket_public_messages_after(*, ticket: Ticket, message_id: int, exclude_author=None):
    """Public messages newer than `message_id`, not written by `exclude_author`."""
    qs = Message.objects.filter(ticket=ticket, is_internal=False, pk__gt=message_id)
    if exclude_author is not None:
        qs = qs.exclude(author=exclude_author)
    return qs.select_related("author").order_by("pk")


def canned_search(*, user, team_ids: list[int], query: str = "", limit: int = 20):
    """Canned responses the user may use (global, their teams', their own), best match first:
    a `/shortcut` prefix, else a keyword in title, shortcut or text; most used first."""
    visible = Q(team__isnull=True, owner__isnull=True) | Q(owner=user)
    if team_ids:
        visible |= Q(team_id__in=team_ids, owner__isnull=True)
    qs = CannedResponse.objects.filter(visible).select_related("team")
    query = (query or "").strip()
    if query.startswith("/"):
        qs = qs.filter(shortcut__istartswith=query[1:])
    elif query:
        qs = qs.filter(
            Q(title__icontains=query) | Q(shortcut__icontains=query) | Q(body__icontains=query)
        )
    return list(qs.order_by("-usage_count", "title")[:limit])


def canned_get_visible(*, user, team_ids: list[int], canned_id: int):
    visible = Q(team__isnull=True, owner__isnull=True) | Q(owner=user)
    if team_ids:
        visible |= Q(team_id__in=team_ids, owner__isnull=True)
    return CannedResponse.objects.filter(visible).get(pk=canned_id)


def agent_team_ids(*, user) -> list[int]:
    return list(Team.objects.filter(agents__user=user).values_list("pk", flat=True))


def agent_preferences(*, user) -> tuple[str, str]:
    """(language, time zone) of the operator; empty strings when not chosen."""
    found = AgentProfile.objects.filter(user=user).values_list("language", "timezone").first()
    return found or ("", "")


def ticket_work_seconds(*, ticket: Ticket) -> int:
    """Focused work on this ticket by all agents, in seconds (AHT's numerator)."""
    return WorkSession.objects.filter(ticket=ticket).aggregate(s=Sum("seconds"))["s"] or 0


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
