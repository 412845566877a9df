"""The queue page: one list of tickets from every channel."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from helpdesk.permissions import role_required
from helpdesk.roles import OPERATOR
from tickets.filters import TicketFilter
from tickets.models import ACTIVE_STATUSES, Priority, Status
from tickets.selectors import ticket_list
from tickets.views.common import (
    DEFAULT_VIEW,
    SAVED_VIEWS_BY_KEY,
    decorate_ticket,
    saved_views_nav,
)

PAGE_SIZE = 50


def _filter_data(query):
    """The query string without empty values: an empty select means "any"."""
    data = query.copy()
    for key in list(data.keys()):
        values = [v for v in data.getlist(key) if v.strip()]
        if values:
            data.setlist(key, values)
        else:
            del data[key]
    return data


@role_required(OPERATOR)
def queue(request):
    data = _filter_data(request.GET)
    view_key = data.get("view", DEFAULT_VIEW)
    saved = SAVED_VIEWS_BY_KEY.get(view_key) or SAVED_VIEWS_BY_KEY[DEFAULT_VIEW]

    tickets = ticket_list().filter(saved.condition(request.user))
    # A saved view shows active tickets unless the operator picked a status explicitly.
    if saved.active_only and not data.getlist("status"):
        tickets = tickets.filter(status__in=ACTIVE_STATUSES)
    filterset = TicketFilter(data=data, queryset=tickets, request=request)

    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    for ticket in page.object_list:
        decorate_ticket(ticket, now)

    context = {
        "page_obj": page,
        "tickets": page.object_list,
        "views_nav": saved_views_nav(user=request.user, current=saved.key),
        "current_view": saved,
        "filters": {
            "status": data.get("status", ""),
            "priority": data.get("priority", ""),
            "channel": data.get("channel", ""),
            "assignee": data.get("assignee", ""),
            "q": data.get("q", ""),
        },
        "filter_errors": filterset.errors if filterset.is_bound else {},
        "status_choices": Status.choices,
        "priority_choices": Priority.choices,
        "channels": filterset.form.fields["channel"].queryset,
        "has_filters": any(k in data for k in ("status", "priority", "channel", "assignee", "q")),
    }
    return render(request, "tickets/queue.html", context)
