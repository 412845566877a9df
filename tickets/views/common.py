"""Helpers shared by the workspace pages: saved views, display values for rows and people."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

from helpdesk.exceptions import ApplicationError
from helpdesk.permissions import role_required
from helpdesk.roles import OPERATOR
from tickets.models import ACTIVE_STATUSES, PRIORITY_RANK, Priority, Status, Ticket
from tickets.selectors import queue_view_counts, ticket_overdue_condition

_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?")
DEFAULT_TAG_COLOUR = "#6c757d"
STATUS_LABELS = dict(Status.choices)


@dataclass(frozen=True)
class SavedView:
    key: str
    label: str
    # Extra conditions besides the status; None means "no status restriction".
    active_only: bool

    def condition(self, user) -> Q:
        if self.key == "mine":
            return Q(assignee_id=user.pk)
        if self.key == "unassigned":
            return Q(assignee__isnull=True)
        if self.key == "high":
            return Q(priority_rank__lte=PRIORITY_RANK[Priority.HIGH])
        if self.key == "overdue":
            return ticket_overdue_condition()
        return Q()


SAVED_VIEWS = [
    SavedView("mine", _("My open"), active_only=True),
    SavedView("unassigned", _("Unassigned"), active_only=True),
    SavedView("overdue", _("Overdue"), active_only=True),
    SavedView("open", _("All open"), active_only=True),
    SavedView("high", _("High priority"), active_only=True),
    SavedView("all", _("All tickets"), active_only=False),
]
SAVED_VIEWS_BY_KEY = {v.key: v for v in SAVED_VIEWS}
DEFAULT_VIEW = "open"


def saved_views_nav(*, user, current: str | None, counts: dict | None = None) -> list[dict]:
    """The left column: each saved view with its count (one query for all counts, or none
    when the caller passes `counts` it already read)."""
    if counts is None:
        counts = queue_view_counts(user=user)
    return [
        {"key": v.key, "label": v.label, "count": counts.get(v.key), "current": v.key == current}
        for v in SAVED_VIEWS
    ]


def initials(user) -> str:
    if user is None:
        return ""
    first = (user.first_name or "").strip()
    last = (user.last_name or "").strip()
    if first or last:
        return ((first[:1] + last[:1]) or first[:2]).upper()
    return user.get_username()[:2].upper()


def display_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def safe_colour(value: str) -> str:
    """Tag colours go into a style attribute: only plain hex colours pass."""
    return value if value and _HEX_COLOUR.fullmatch(value) else DEFAULT_TAG_COLOUR


def customer_waiting_since(ticket: Ticket):
    """When the customer started waiting for us, or None if the ball is in their court."""
    if ticket.status not in ACTIVE_STATUSES or ticket.last_customer_message_at is None:
        return None
    if (
        ticket.last_agent_message_at is None
        or ticket.last_customer_message_at > ticket.last_agent_message_at
    ):
        return ticket.last_customer_message_at
    return None


def decorate_ticket(ticket: Ticket, now=None) -> Ticket:
    """Attach what a row or header shows: age, waiting time, initials, safe tag colours."""
    now = now or timezone.now()
    # Not get_status_display() in the template: it hashes every (lazily translated) choice
    # label on each call, six translations per row.
    ticket.status_label = str(STATUS_LABELS.get(ticket.status, ticket.status))
    ticket.age = timesince(ticket.created_at, now, depth=1)
    waiting = customer_waiting_since(ticket)
    ticket.waiting = timesince(waiting, now, depth=1) if waiting else ""
    ticket.assignee_initials = initials(ticket.assignee)
    ticket.assignee_name = display_name(ticket.assignee)
    ticket.tag_list = list(ticket.tags.all())
    for tag in ticket.tag_list:
        tag.css_colour = safe_colour(tag.color)
    return ticket


def operator_page(view):
    """Operator role required (the agent's language and time zone are activated for every
    page by tickets.middleware.AgentPreferencesMiddleware)."""
    return role_required(OPERATOR)(view)


def form_errors(request, form) -> None:
    """Every error of an invalid form, as messages on the next page."""
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def run_change(request, action, ticket_id: int, success: str = ""):
    """Run one change through a service; a domain error becomes a message on the ticket page.
    Returns the service's result, or the redirect back to the ticket after an error."""
    try:
        result = action()
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("ticket", ticket_id=ticket_id)
    if success:
        messages.success(request, success)
    return result
