"""The ticket page and the forms on it. Writes go through tickets.services."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from helpdesk.exceptions import ApplicationError
from tickets.forms import AssignForm, PriorityForm, ReplyForm, StatusForm
from tickets.models import (
    AuthorKind,
    DeliveryStatus,
    Direction,
    Message,
    Priority,
    Status,
    Tag,
    Team,
    Ticket,
)
from tickets.selectors import (
    customer_previous_tickets,
    customer_ticket_count,
    operator_users,
    ticket_get_for_workspace,
    ticket_public_messages_after,
    ticket_work_seconds,
)
from tickets.services import (
    message_retry,
    ticket_assign,
    ticket_reply,
    ticket_set_priority,
    ticket_set_status,
)
from tickets.views.common import (
    decorate_ticket,
    display_name,
    form_errors,
    initials,
    operator_page,
    run_change,
    saved_views_nav,
)
from tickets.views.sla_hooks import sla_clocks_for
from tickets.visibility import visible_ticket_or_404

# The customer card counts a customer's tickets up to this many ("1000+ tickets" beyond).
CUSTOMER_TICKET_COUNT_LIMIT = 1000

EVENT_LABELS = {
    "created": gettext_lazy("Ticket created"),
    "reopened": gettext_lazy("Reopened"),
    "status_changed": gettext_lazy("Status changed"),
    "assigned": gettext_lazy("Assigned"),
    "priority_changed": gettext_lazy("Priority changed"),
    "team_changed": gettext_lazy("Team changed"),
    "tags_changed": gettext_lazy("Tags changed"),
    "replied": gettext_lazy("Replied"),
    "note_added": gettext_lazy("Internal note added"),
    "delivery_retried": gettext_lazy("Delivery retried"),
    "merged_into": gettext_lazy("Merged into another ticket"),
    "merged_from": gettext_lazy("Another ticket merged in"),
    "split_from": gettext_lazy("Split from another ticket"),
    "split_to": gettext_lazy("A message was split off"),
    "customer_merged": gettext_lazy("Customers linked"),
}
OUTBOUND_STATES = {
    DeliveryStatus.QUEUED,
    DeliveryStatus.SENDING,
    DeliveryStatus.RETRYING,
    DeliveryStatus.SENT,
    DeliveryStatus.DELIVERED,
    DeliveryStatus.READ,
    DeliveryStatus.FAILED,
}


def _attachment_href(attachment) -> str:
    if attachment.file:
        return attachment.file.url
    url = attachment.url or ""
    # Only web links: a javascript: or data: URL from a channel must never become a link.
    return url if url.lower().startswith(("https://", "http://")) else ""


def _message_side(message: Message) -> str:
    if message.is_internal:
        return "note"
    if message.author_kind in (AuthorKind.BOT, AuthorKind.SYSTEM):
        return "center"
    return "left" if message.direction == Direction.INBOUND else "right"


def _decorate_messages(ticket: Ticket) -> list[Message]:
    result = list(ticket.messages.all())
    for message in result:
        message.side = _message_side(message)
        message.author_name = display_name(message.author)
        message.shows_delivery = (
            message.direction == Direction.OUTBOUND
            and not message.is_internal
            and message.delivery_status in OUTBOUND_STATES
        )
        message.attachment_list = []
        for attachment in message.attachments.all():
            attachment.href = _attachment_href(attachment)
            attachment.is_image = bool(
                attachment.file
                and attachment.content_type.startswith("image/")
                and attachment.content_type != "image/svg+xml"
            )
            message.attachment_list.append(attachment)
    return result


def _describe_event(event, names: dict[int, str]) -> str:
    data = event.data or {}
    if event.kind == "status_changed":
        return f"{_status_label(data.get('from'))} → {_status_label(data.get('to'))}"
    if event.kind == "priority_changed":
        return f"{_priority_label(data.get('from'))} → {_priority_label(data.get('to'))}"
    if event.kind == "assigned":

        def who(pk):
            return names.get(pk, f"#{pk}") if pk else _("nobody")

        if "from" in data:
            return f"{who(data.get('from'))} → {who(data.get('to'))}"
        return who(data.get("to"))
    if event.kind == "tags_changed":
        added = " ".join(f"+{name}" for name in data.get("added", []))
        removed = " ".join(f"−{name}" for name in data.get("removed", []))
        return f"{added} {removed}".strip()
    for key in ("into", "from", "to"):
        if event.kind in ("merged_into", "merged_from", "split_from", "split_to") and key in data:
            return f"#{data[key]}"
    return ""


def _status_label(value) -> str:
    return str(Status(value).label) if value in Status.values else str(value or "")


def _priority_label(value) -> str:
    return str(Priority(value).label) if value in Priority.values else str(value or "")


def _render_ticket(request, ticket_id: int, *, reply_form=None, status: int = 200, conflict=None):
    try:
        ticket = ticket_get_for_workspace(ticket_id=ticket_id, user=request.user)
    except Ticket.DoesNotExist:
        return render(request, "tickets/not_found.html", status=404)
    decorate_ticket(ticket, timezone.now())
    operators = list(operator_users())
    names = {user.pk: display_name(user) for user in operators}
    for operator in operators:
        operator.display = names[operator.pk]
        operator.initials = initials(operator)
    events = list(ticket.events.all())
    for event in events:
        event.label = EVENT_LABELS.get(event.kind, event.kind)
        event.detail = _describe_event(event, names)
        event.who = display_name(event.actor) or event.actor_label
    conversation = _decorate_messages(ticket)
    public = [m.pk for m in conversation if not m.is_internal]
    reply_form = reply_form or ReplyForm()
    # The page shows every message now: sending again from it confirms having seen them.
    last_seen = public[-1] if public else 0
    ticket_count = customer_ticket_count(
        customer_id=ticket.customer_id, user=request.user, limit=CUSTOMER_TICKET_COUNT_LIMIT
    )
    context = {
        "ticket": ticket,
        "conversation": conversation,
        "last_seen": last_seen,
        "conflict": conflict,
        "sla_clocks": sla_clocks_for(ticket.pk),
        "teams": Team.objects.order_by("name"),
        "all_tags": Tag.objects.order_by("name"),
        "tag_names": ", ".join(t.name for t in ticket.tag_list),
        "customer_ticket_count": ticket_count,
        "customer_ticket_count_more": ticket_count >= CUSTOMER_TICKET_COUNT_LIMIT,
        "work_seconds": ticket_work_seconds(ticket=ticket),
        "events": events,
        "customer": ticket.customer,
        "identities": list(ticket.customer.identities.all()),
        "previous_tickets": customer_previous_tickets(ticket=ticket, user=request.user),
        "operators": operators,
        "status_choices": Status.choices,
        "priority_choices": Priority.choices,
        "reply_form": reply_form,
        "views_nav": saved_views_nav(user=request.user, current=None),
    }
    return render(request, "tickets/ticket.html", context, status=status)


@operator_page
def ticket_detail(request, ticket_id: int):
    return _render_ticket(request, ticket_id)


@require_POST
@operator_page
def ticket_reply_view(request, ticket_id: int):
    ticket = visible_ticket_or_404(request.user, ticket_id)
    form = ReplyForm(request.POST)
    if form.is_valid() and not form.is_internal and not form.cleaned_data["confirm"]:
        # Someone else answered (or the customer wrote) since the page was rendered: show it
        # and ask before sending. A form without last_seen (no JavaScript, API) is not checked.
        last_seen = form.cleaned_data.get("last_seen")
        newer = []
        if last_seen is not None:
            newer = list(
                ticket_public_messages_after(
                    ticket=ticket, message_id=last_seen, exclude_author=request.user
                )
            )
        if newer:
            authors = sorted({display_name(m.author) or str(ticket.customer) for m in newer})
            form.add_error(
                None,
                _("%(who)s wrote meanwhile. Read the new message, then send again to confirm.")
                % {"who": ", ".join(authors)},
            )
            return _render_ticket(request, ticket.pk, reply_form=form, status=409, conflict=newer)
    if form.is_valid():
        try:
            ticket_reply(
                ticket=ticket,
                author=request.user,
                text=form.cleaned_data["text"],
                internal=form.is_internal,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("ticket", ticket_id=ticket.pk)
    return _render_ticket(request, ticket.pk, reply_form=form, status=400)


def _form_change(request, ticket_id: int, form, change):
    """Validate `form`, then run `change(ticket, cleaned_data)` through its service; back to
    the ticket page either way, with the errors as messages."""
    ticket = visible_ticket_or_404(request.user, ticket_id)
    if form.is_valid():
        run_change(request, lambda: change(ticket, form.cleaned_data), ticket.pk)
    else:
        form_errors(request, form)
    return redirect("ticket", ticket_id=ticket.pk)


@require_POST
@operator_page
def ticket_status_view(request, ticket_id: int):
    return _form_change(
        request,
        ticket_id,
        StatusForm(request.POST),
        lambda t, data: ticket_set_status(ticket=t, status=data["status"], actor=request.user),
    )


@require_POST
@operator_page
def ticket_priority_view(request, ticket_id: int):
    return _form_change(
        request,
        ticket_id,
        PriorityForm(request.POST),
        lambda t, data: ticket_set_priority(
            ticket=t, priority=data["priority"], actor=request.user
        ),
    )


@require_POST
@operator_page
def ticket_assign_view(request, ticket_id: int):
    return _form_change(
        request,
        ticket_id,
        AssignForm(request.POST, operators=operator_users(), user=request.user),
        lambda t, data: ticket_assign(ticket=t, assignee=data["assignee"], actor=request.user),
    )


@require_POST
@operator_page
def message_retry_view(request, ticket_id: int, message_id: int):
    visible_ticket_or_404(request.user, ticket_id)
    message = get_object_or_404(
        Message.objects.select_related("ticket"), pk=message_id, ticket_id=ticket_id
    )
    run_change(request, lambda: message_retry(message=message, actor=request.user), ticket_id)
    return redirect("ticket", ticket_id=ticket_id)
