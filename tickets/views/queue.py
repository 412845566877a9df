"""The queue page: one list of tickets from every channel."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import F
from django.shortcuts import render
from django.utils import timezone

from tickets.filters import TicketFilter
from tickets.models import ACTIVE_STATUSES, Priority, Status, Tag, Team
from tickets.selectors import operator_users, queue_view_counts, ticket_list, ticket_page_ids
from tickets.views.common import (
    DEFAULT_VIEW,
    SAVED_VIEWS_BY_KEY,
    decorate_ticket,
    operator_page,
    saved_views_nav,
)
from tickets.views.queue_query import created_range_apply, queue_filter_data
from tickets.views.sla_hooks import SLA_STATES, sla_badges_for, sla_state_condition
from tickets.visibility import tickets_visible_to

PAGE_SIZE = 50
FILTER_KEYS = ("status", "priority", "channel", "team", "assignee", "tag", "sla", "q")
DATE_KEYS = ("created_from", "created_to")


def _search_page(paginator: Paginator, number):
    """The page of a search: its ids and the number of matches in one query
    (tickets.selectors.ticket_page_ids), then the page's rows by id."""
    try:
        number = max(1, int(number))
    except (TypeError, ValueError):
        number = 1
    ids, total = ticket_page_ids(
        paginator.object_list, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    if not ids and number > 1:
        return paginator.get_page(number)  # past the end: counted, then the last page
    paginator.count = total
    page = paginator.get_page(number)
    by_id = ticket_list().in_bulk(ids)
    page.object_list = [by_id[pk] for pk in ids if pk in by_id]
    return page


@operator_page
def queue(request):
    data = queue_filter_data(request.GET)
    view_key = data.get("view", DEFAULT_VIEW)
    saved = SAVED_VIEWS_BY_KEY.get(view_key) or SAVED_VIEWS_BY_KEY[DEFAULT_VIEW]
    created_range_apply(data)

    tickets = tickets_visible_to(request.user, ticket_list()).filter(saved.condition(request.user))
    # A saved view shows active tickets unless the operator picked a status explicitly.
    if saved.active_only and not data.getlist("status"):
        tickets = tickets.filter(status__in=ACTIVE_STATUSES)
    sla_state = data.get("sla", "")
    if sla_state in SLA_STATES:
        tickets = tickets.filter(sla_state_condition(sla_state))
    # Priority first, then the SLA deadline nearest (tickets without a running clock last).
    tickets = tickets.order_by(
        "priority_rank", F("sla_due_at").asc(nulls_last=True), "created_at", "pk"
    )
    filterset = TicketFilter(data=data, queryset=tickets, request=request)

    counts = queue_view_counts(user=request.user)
    has_filters = any(k in data for k in (*FILTER_KEYS, *DATE_KEYS))
    filtered = has_filters or any(k in data for k in filterset.filters)
    paginator = Paginator(filterset.qs, PAGE_SIZE)
    if not filtered and counts.get(saved.key) is not None:
        # A saved view without filters is exactly what its count in the left column counts:
        # no second COUNT over the open work.
        paginator.count = counts[saved.key]
    if data.get("q", "").strip():
        page = _search_page(paginator, request.GET.get("page"))
    else:
        page = paginator.get_page(request.GET.get("page"))
    now = timezone.now()
    rows = list(page.object_list)
    badges = sla_badges_for([t.pk for t in rows])
    for ticket in rows:
        decorate_ticket(ticket, now)
        ticket.sla = badges.get(ticket.pk)

    context = {
        "page_obj": page,
        "tickets": rows,
        "sla_badges": badges,
        "views_nav": saved_views_nav(user=request.user, current=saved.key, counts=counts),
        "current_view": saved,
        "filters": {key: data.get(key, "") for key in (*FILTER_KEYS, *DATE_KEYS)},
        "filter_errors": filterset.errors if filterset.is_bound else {},
        "status_choices": Status.choices,
        "priority_choices": Priority.choices,
        "channels": filterset.form.fields["channel"].queryset,
        "teams": Team.objects.order_by("name"),
        "tags": Tag.objects.order_by("name"),
        "operators": operator_users(),
        "has_filters": has_filters,
    }
    return render(request, "tickets/queue.html", context)
