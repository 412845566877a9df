"""Ticket page actions besides replying: tags, team, merge, split, customer notes and link."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tickets.forms import CustomerLinkForm, CustomerNotesForm, MergeForm, TagsForm, TeamForm
from tickets.models import Customer, Message, Tag, Team, Ticket
from tickets.services import (
    customer_merge,
    customer_set_notes,
    message_split,
    ticket_merge,
    ticket_set_tags,
    ticket_set_team,
)
from tickets.views.common import form_errors, operator_page, run_change
from tickets.visibility import tickets_visible_to, visible_ticket_or_404


@require_POST
@operator_page
def ticket_tags_view(request, ticket_id: int):
    ticket = visible_ticket_or_404(request.user, ticket_id)
    form = TagsForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return redirect("ticket", ticket_id=ticket.pk)
    names = form.tag_names()
    wanted = list(Tag.objects.filter(name__in=names))
    unknown = sorted(set(names) - {t.name for t in wanted})
    if unknown:
        messages.error(request, _("Unknown tags: %(names)s") % {"names": ", ".join(unknown)})
    current = list(ticket.tags.all())
    remove = [t for t in current if t.name not in names]
    run_change(
        request,
        lambda: ticket_set_tags(ticket=ticket, add=wanted, remove=remove, actor=request.user),
        ticket.pk,
    )
    return redirect("ticket", ticket_id=ticket.pk)


@require_POST
@operator_page
def ticket_team_view(request, ticket_id: int):
    ticket = visible_ticket_or_404(request.user, ticket_id)
    form = TeamForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return redirect("ticket", ticket_id=ticket.pk)
    team = None
    if form.cleaned_data["team"]:
        team = Team.objects.filter(pk=form.cleaned_data["team"]).first()
        if team is None:
            messages.error(request, _("Choose a team from the list."))
            return redirect("ticket", ticket_id=ticket.pk)
    run_change(
        request, lambda: ticket_set_team(ticket=ticket, team=team, actor=request.user), ticket.pk
    )
    return redirect("ticket", ticket_id=ticket.pk)


@require_POST
@operator_page
def ticket_merge_view(request, ticket_id: int):
    ticket = visible_ticket_or_404(request.user, ticket_id)
    form = MergeForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return redirect("ticket", ticket_id=ticket.pk)
    target = tickets_visible_to(request.user).filter(pk=form.cleaned_data["target"]).first()
    if target is None:
        messages.error(request, _("There is no ticket with that number."))
        return redirect("ticket", ticket_id=ticket.pk)
    result = run_change(
        request,
        lambda: ticket_merge(source=ticket, target=target, actor=request.user),
        ticket.pk,
        _("Ticket #%(source)s was merged into this one.") % {"source": ticket.pk},
    )
    if isinstance(result, Ticket):
        return redirect("ticket", ticket_id=result.pk)
    return result


@require_POST
@operator_page
def message_split_view(request, ticket_id: int, message_id: int):
    visible_ticket_or_404(request.user, ticket_id)
    message = get_object_or_404(Message, pk=message_id, ticket_id=ticket_id)
    result = run_change(
        request,
        lambda: message_split(message=message, actor=request.user),
        ticket_id,
        _("The message now has its own ticket."),
    )
    if isinstance(result, Ticket):
        return redirect("ticket", ticket_id=result.pk)
    return result


@require_POST
@operator_page
def customer_notes_view(request, ticket_id: int):
    ticket = visible_ticket_or_404(
        request.user, ticket_id, Ticket.objects.select_related("customer")
    )
    form = CustomerNotesForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
    else:
        customer_set_notes(
            customer=ticket.customer, notes=form.cleaned_data["notes"], actor=request.user
        )
        messages.success(request, _("Notes saved."))
    return redirect("ticket", ticket_id=ticket.pk)


@require_POST
@operator_page
def customer_link_view(request, ticket_id: int):
    """Link the ticket's customer with another one (the same person): this one survives."""
    ticket = visible_ticket_or_404(
        request.user, ticket_id, Ticket.objects.select_related("customer")
    )
    form = CustomerLinkForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return redirect("ticket", ticket_id=ticket.pk)
    number = form.cleaned_data["other"]
    if form.cleaned_data.get("by") == "customer":
        other = Customer.objects.filter(pk=number).first()
    else:
        found = (
            tickets_visible_to(request.user).filter(pk=number).select_related("customer").first()
        )
        other = found.customer if found else None
    if other is None:
        messages.error(request, _("No customer found for that number."))
        return redirect("ticket", ticket_id=ticket.pk)
    run_change(
        request,
        lambda: customer_merge(source=other, target=ticket.customer, actor=request.user),
        ticket.pk,
        _("%(other)s is now linked to this customer.") % {"other": other},
    )
    return redirect("ticket", ticket_id=ticket.pk)
