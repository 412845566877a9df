"""Pages for exports and personal-data requests: the queue as CSV (the operator's current
view and filters), a customer's data export and erasure from the customer card."""

from __future__ import annotations

import json

from django.contrib import messages
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from helpdesk.permissions import role_required
from helpdesk.roles import MANAGER
from tickets.filters import TicketFilter
from tickets.models import ACTIVE_STATUSES, Customer
from tickets.selectors import ticket_list
from tickets.services.privacy import customer_data_export, customer_erase
from tickets.transfer.exporter import export_csv
from tickets.transfer.streaming import streaming_download
from tickets.views.common import DEFAULT_VIEW, SAVED_VIEWS_BY_KEY, operator_page
from tickets.views.queue_query import created_range_apply, queue_filter_data
from tickets.views.sla_hooks import SLA_STATES, sla_state_condition
from tickets.visibility import tickets_visible_to


@require_GET
@operator_page
def queue_csv_view(request):
    """The tickets the queue shows for the same query string (saved view, filters, SLA
    state, dates), every page of them, as CSV in the queue's order."""
    data = queue_filter_data(request.GET)
    saved = (
        SAVED_VIEWS_BY_KEY.get(data.get("view", DEFAULT_VIEW)) or SAVED_VIEWS_BY_KEY[DEFAULT_VIEW]
    )
    created_range_apply(data)
    tickets = tickets_visible_to(request.user, ticket_list()).filter(saved.condition(request.user))
    if saved.active_only and not data.getlist("status"):
        tickets = tickets.filter(status__in=ACTIVE_STATUSES)
    if data.get("sla", "") in SLA_STATES:
        tickets = tickets.filter(sla_state_condition(data["sla"]))
    filterset = TicketFilter(data=data, queryset=tickets, request=request)
    if not filterset.is_valid():
        return HttpResponse(
            _("The filters are not valid."), status=400, content_type="text/plain; charset=utf-8"
        )
    qs = filterset.qs.order_by(
        "priority_rank", F("sla_due_at").asc(nulls_last=True), "created_at", "pk"
    )
    return streaming_download(
        request,
        export_csv(qs),
        content_type="text/csv; charset=utf-8",
        filename=f"tickets-{saved.key}.csv",
    )


def _back(request, customer: Customer):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    ticket = customer.tickets.order_by("-created_at").first()
    return redirect("ticket", ticket_id=ticket.pk) if ticket else redirect("queue")


@require_POST
@role_required(MANAGER)
def customer_export_view(request, customer_id: int):
    """The customer's personal data as a JSON download (logged)."""
    customer = get_object_or_404(Customer, pk=customer_id)
    data = customer_data_export(customer=customer, actor=request.user, request=request)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}.json"'
    return response


@require_POST
@role_required(MANAGER)
def customer_erase_view(request, customer_id: int):
    """Erase after the manager ticked the confirmation on the card (logged)."""
    customer = get_object_or_404(Customer, pk=customer_id)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the confirmation to erase the customer's data."))
        return _back(request, customer)
    customer_erase(customer=customer, actor=request.user, request=request)
    messages.success(request, _("The customer's personal data was erased."))
    return _back(request, customer)
