"""Bulk actions on the queue's selected rows: assign, tag, set status, merge."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from helpdesk.exceptions import ApplicationError
from tickets.forms import AssignForm, BulkForm
from tickets.models import Status, Tag, Ticket
from tickets.selectors import operator_users
from tickets.services import ticket_assign, ticket_merge, ticket_set_status, ticket_set_tags
from tickets.views.common import operator_page
from tickets.visibility import tickets_visible_to


def _back(request):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("queue")


def _action(request, form, tickets: list[Ticket]):
    """One callable per ticket (merge: per source); None and a message when input is bad."""
    action, value, user = form.cleaned_data["action"], form.cleaned_data["value"], request.user
    if action == "assign":
        assign = AssignForm({"assignee": value}, operators=operator_users(), user=user)
        if not assign.is_valid():
            return None
        who = assign.cleaned_data["assignee"]
        return [lambda t=t: ticket_assign(ticket=t, assignee=who, actor=user) for t in tickets]
    if action == "tag":
        tag = Tag.objects.filter(pk=int(value)).first() if value.isdigit() else None
        if tag is None:
            return None
        return [lambda t=t: ticket_set_tags(ticket=t, add=[tag], actor=user) for t in tickets]
    if action == "status":
        if value not in Status.values:
            return None
        return [lambda t=t: ticket_set_status(ticket=t, status=value, actor=user) for t in tickets]
    # merge: everything into the oldest selected ticket
    if len(tickets) < 2:
        return None
    target, *sources = sorted(tickets, key=lambda t: (t.created_at, t.pk))
    return [lambda s=s: ticket_merge(source=s, target=target, actor=user) for s in sources]


@require_POST
@operator_page
def queue_bulk_view(request):
    form = BulkForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back(request)
    chosen = Ticket.objects.filter(pk__in=form.cleaned_data["tickets"])
    tickets = list(tickets_visible_to(request.user, chosen).order_by("pk"))
    calls = _action(request, form, tickets)
    if calls is None:
        messages.error(request, _("Choose what to apply to the selected tickets."))
        return _back(request)
    done, failed = 0, []
    for call in calls:
        try:
            call()
            done += 1
        except ApplicationError as exc:
            failed.append(exc.message)
    if done:
        messages.success(
            request,
            ngettext("%(n)d ticket updated.", "%(n)d tickets updated.", done) % {"n": done},
        )
    for error in dict.fromkeys(failed):
        messages.error(request, error)
    return _back(request)
