"""Opening a ticket for a customer on an operator's (or an integration's) initiative, and
changing its subject. Everything else about a ticket changes through tickets.services.tickets."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from helpdesk.exceptions import ApplicationError
from tickets import dispatch
from tickets.models import (
    PRIORITY_RANK,
    AuthorKind,
    Channel,
    Customer,
    CustomerIdentity,
    DeliveryStatus,
    Direction,
    Message,
    Priority,
    Status,
    Tag,
    Team,
    Ticket,
)
from tickets.sanitize import preview
from tickets.services.events import message_publish, ticket_event_record, ticket_publish
from tickets.services.outbound import ticket_reply
from tickets.services.tickets import (
    ticket_assign,
    ticket_set_priority,
    ticket_set_tags,
    ticket_set_team,
)


class TicketOpenInvalid(ApplicationError):
    code = "ticket_open_invalid"


def ticket_open(
    *,
    customer: Customer,
    channel: Channel,
    text: str,
    direction: str = Direction.INBOUND,
    subject: str = "",
    priority: str = Priority.NORMAL,
    team: Team | None = None,
    assignee=None,
    tags: list[Tag] = (),
    actor=None,
) -> Ticket:
    """A new ticket for `customer` on `channel`, starting with one message.

    `direction="in"`: the text is the customer's request taken down by the operator (a phone
    call, a CRM case); it is handled like any customer message (rules, SLA clocks).
    `direction="out"`: the operator writes first; the text is a public reply delivered through
    the channel, so the customer must be reachable there (an identity on that channel).
    Team, assignee, priority and tags are then set through the ordinary ticket services.
    """
    text = (text or "").strip()
    if not text:
        raise TicketOpenInvalid("A ticket needs a first message.")
    if customer.merged_into_id:
        raise TicketOpenInvalid("This customer was linked into another one; use that one.")
    if priority not in PRIORITY_RANK:
        raise TicketOpenInvalid(f"Unknown priority {priority!r}.")
    if direction not in Direction.values:
        raise TicketOpenInvalid(f"Unknown direction {direction!r}.")
    reachable = CustomerIdentity.objects.filter(customer=customer, channel=channel).exists()
    if direction == Direction.OUTBOUND and not reachable:
        raise TicketOpenInvalid(
            "The customer has no identity on this channel, so a reply cannot reach them."
        )
    now = timezone.now()
    label = "" if actor else "api"
    with transaction.atomic():
        ticket = Ticket.objects.create(
            subject=(subject or preview(text, 120))[:255],
            customer=customer,
            channel=channel,
            status=Status.NEW,
            priority=Priority.NORMAL,
            priority_rank=PRIORITY_RANK[Priority.NORMAL],
            created_at=now,
            updated_at=now,
        )
        ticket_event_record(
            ticket=ticket, kind="created", actor=actor, actor_label=label, data={"by": "api"}
        )
        if direction == Direction.INBOUND:
            message = Message.objects.create(
                ticket=ticket,
                channel=channel,
                direction=Direction.INBOUND,
                author_kind=AuthorKind.CUSTOMER,
                text=text,
                delivery_status=DeliveryStatus.RECEIVED,
                sent_at=now,
                created_at=now,
            )
            ticket.first_customer_message_at = now
            ticket.last_customer_message_at = now
            ticket.last_message_preview = preview(text)
            ticket.save(
                update_fields=[
                    "first_customer_message_at",
                    "last_customer_message_at",
                    "last_message_preview",
                ]
            )
            dispatch.emit(dispatch.TICKET_CREATED, ticket=ticket, message=message)
            dispatch.emit(
                dispatch.MESSAGE_RECEIVED,
                ticket=ticket,
                message=message,
                previous_status=Status.NEW,
            )
            ticket_publish(ticket=ticket, event_type="ticket.created")
            message_publish(message=message)
        else:
            # No customer message yet: the SLA clocks start with the customer's answer.
            ticket_publish(ticket=ticket, event_type="ticket.created")
            ticket_reply(ticket=ticket, author=actor, text=text)
        if priority != Priority.NORMAL:
            ticket = ticket_set_priority(ticket=ticket, priority=priority, actor=actor)
        if team is not None:
            ticket = ticket_set_team(ticket=ticket, team=team, actor=actor)
        if assignee is not None:
            ticket = ticket_assign(ticket=ticket, assignee=assignee, actor=actor)
        if tags:
            ticket = ticket_set_tags(ticket=ticket, add=list(tags), actor=actor)
    return Ticket.objects.get(pk=ticket.pk)


def ticket_set_subject(
    *, ticket: Ticket, subject: str, actor=None, actor_label: str = ""
) -> Ticket:
    subject = (subject or "").strip()[:255]
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        previous = ticket.subject
        if previous == subject:
            return ticket
        ticket.subject = subject
        ticket.updated_at = timezone.now()
        ticket.save(update_fields=["subject", "updated_at"])
        ticket_event_record(
            ticket=ticket,
            kind="subject_changed",
            actor=actor,
            actor_label=actor_label,
            data={"from": previous, "to": subject},
        )
        dispatch.emit(dispatch.TICKET_UPDATED, ticket=ticket, fields=["subject"])
        ticket_publish(ticket=ticket, event_type="ticket.updated")
    return ticket
