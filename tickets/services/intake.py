"""receive(): the one entry through which every customer message enters the help desk."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from helpdesk.scoped_cache import scoped_cache, scoped_put
from tickets import dispatch
from tickets.inbound import InboundMessage
from tickets.models import (
    PRIORITY_RANK,
    Attachment,
    AuthorKind,
    Channel,
    Customer,
    DeliveryStatus,
    Direction,
    Message,
    Priority,
    Status,
    Ticket,
)
from tickets.sanitize import preview, sanitize_html
from tickets.services.customers import customer_resolve_for_identity
from tickets.services.events import message_publish, ticket_event_record, ticket_publish


def message_follows_key(ticket_id: int) -> tuple:
    """The scope note receive() leaves before TICKET_CREATED: MESSAGE_RECEIVED for this
    ticket and the message (the value: its id) comes next, in the same transaction."""
    return ("intake", "message_follows", ticket_id)


@dataclass(frozen=True)
class ReceiveResult:
    message: Message
    created: bool  # False when the message was a duplicate of one already stored
    ticket_created: bool


def _ticket_by_thread_ref(
    *, customer: Customer, channel: Channel, msg: InboundMessage
) -> Ticket | None:
    """The unclosed ticket a reply belongs to: one of its messages has an id in the reply's
    thread (any participant may answer a thread), or the subject names it ("[#1234]") and it
    is the same customer's on the same channel."""
    unclosed = Ticket.objects.select_for_update().exclude(status=Status.CLOSED)
    if msg.thread_refs:
        ticket_id = (
            Message.objects.filter(channel=channel, external_id__in=list(msg.thread_refs))
            .order_by("-pk")
            .values_list("ticket_id", flat=True)
            .first()
        )
        ticket = unclosed.filter(pk=ticket_id).first() if ticket_id else None
        if ticket is not None:
            return ticket
    if msg.ticket_ref:
        return unclosed.filter(pk=msg.ticket_ref, customer=customer, channel=channel).first()
    return None


def ticket_get_active_or_create(
    *, customer: Customer, channel: Channel, msg: InboundMessage
) -> tuple[Ticket, bool]:
    """The customer's latest unclosed ticket on this channel, reopened if solved; else a new one.

    Closed tickets are final: a message after closing opens a new ticket.
    An email reply joins the ticket its thread refers to (see `_ticket_by_thread_ref`).
    """
    ticket = _ticket_by_thread_ref(customer=customer, channel=channel, msg=msg)
    if ticket is not None:
        return ticket, False
    ticket = (
        Ticket.objects.select_for_update()
        .filter(customer=customer, channel=channel)
        .exclude(status=Status.CLOSED)
        .order_by("-created_at", "-pk")
        .first()
    )
    if ticket is not None:
        return ticket, False
    subject = msg.subject or preview(msg.text, 120)
    ticket = Ticket.objects.create(
        subject=subject[:255],
        customer=customer,
        channel=channel,
        status=Status.NEW,
        priority=Priority.NORMAL,
        priority_rank=PRIORITY_RANK[Priority.NORMAL],
        created_at=msg.sent_at,
        updated_at=timezone.now(),
        # What receive() records of the message, written with the row (no second UPDATE).
        first_customer_message_at=msg.sent_at,
        last_customer_message_at=msg.sent_at,
        last_message_preview=preview(msg.text or msg.subject),
    )
    return ticket, True


def _store_attachments(message: Message, msg: InboundMessage) -> None:
    for ref in msg.attachments:
        attachment = Attachment(
            message=message,
            filename=ref.filename[:255],
            content_type=ref.content_type[:120],
            url=ref.url,
            size=ref.size or (len(ref.content) if ref.content else 0),
        )
        if ref.content is not None:
            attachment.file.save(ref.filename or "attachment", ContentFile(ref.content), save=False)
        attachment.save()


def _channel(channel_id: int) -> Channel:
    """The channel, with its automation settings and the rules version read in the same
    query and handed to the scope the subscribers read them from."""
    from tickets.rules.apply import (
        channel_settings_put,
        rules_version_annotations,
        rules_version_put,
    )

    channel = (
        Channel.objects.select_related("automation__default_team")
        .annotate(**rules_version_annotations())
        .get(pk=channel_id)
    )
    rules_version_put(channel)
    try:
        settings_ = channel.automation
    except ObjectDoesNotExist:
        settings_ = None
    channel_settings_put(channel.pk, settings_)
    return channel


def receive(*, msg: InboundMessage) -> ReceiveResult:
    """Store one inbound message: customer, ticket, message, events, live update.

    Idempotent by (channel, external message id): a retried delivery returns the stored row.
    The whole message is one scoped unit of work (helpdesk.scoped_cache): the subscribers
    read SLA policies, calendars, channel settings and rules once.
    """
    with scoped_cache():
        return _receive(msg)


def _receive(msg: InboundMessage) -> ReceiveResult:
    channel = _channel(msg.channel_id)
    existing = Message.objects.filter(channel=channel, external_id=msg.external_message_id).first()
    if existing:
        return ReceiveResult(message=existing, created=False, ticket_created=False)

    with transaction.atomic():
        customer, _identity, customer_created = customer_resolve_for_identity(
            channel=channel, sender=msg.sender
        )
        ticket, ticket_created = ticket_get_active_or_create(
            customer=customer, channel=channel, msg=msg
        )
        if customer_created and ticket_created:
            # A customer created just now has no other ticket: the rules ("repeat
            # customer") and routing (sticky) need not ask the database.
            from tickets.services.routing import customer_other_tickets_put

            customer_other_tickets_put(customer_id=customer.pk, ticket_id=ticket.pk, value=False)
        # The subscribers read these: no lazy loads when they are the rows just read (a
        # thread reply may come from another participant than the ticket's customer).
        if ticket.customer_id == customer.pk:
            ticket.customer = customer
        if ticket.channel_id == channel.pk:
            ticket.channel = channel
        html = sanitize_html(msg.html)
        try:
            with transaction.atomic():
                message = Message.objects.create(
                    ticket=ticket,
                    channel=channel,
                    direction=Direction.INBOUND,
                    author_kind=AuthorKind.CUSTOMER,
                    text=msg.text,
                    html=html,
                    external_id=msg.external_message_id,
                    reply_to_external_id=msg.reply_to_external_id[:255],
                    delivery_status=DeliveryStatus.RECEIVED,
                    sent_at=msg.sent_at,
                    inbound_event_id=msg.raw_event_id,
                )
        except IntegrityError:
            # A concurrent delivery of the same message won the race.
            transaction.set_rollback(True)
            existing = Message.objects.get(channel=channel, external_id=msg.external_message_id)
            return ReceiveResult(message=existing, created=False, ticket_created=False)
        _store_attachments(message, msg)

        previous_status = ticket.status
        if ticket_created:
            ticket_event_record(ticket=ticket, kind="created", actor_label="customer")
        elif previous_status == Status.SOLVED and dispatch.claimed(
            dispatch.SOLVED_REPLY_CLAIM, ticket=ticket, msg=msg
        ):
            ticket_event_record(ticket=ticket, kind="reply_to_solved", actor_label="customer")
        elif previous_status == Status.SOLVED:
            ticket.status = Status.OPEN
            ticket.reopen_count += 1
            ticket.solved_at = None
            ticket_event_record(
                ticket=ticket, kind="reopened", actor_label="customer", data={"from": "solved"}
            )
        elif previous_status in (Status.PENDING, Status.ON_HOLD):
            ticket.status = Status.OPEN
            ticket_event_record(
                ticket=ticket,
                kind="status_changed",
                actor_label="customer",
                data={"from": previous_status, "to": Status.OPEN},
            )
        if not ticket_created:  # a new ticket was written with these already
            if ticket.first_customer_message_at is None:
                ticket.first_customer_message_at = msg.sent_at
            ticket.last_customer_message_at = msg.sent_at
            ticket.last_message_preview = preview(msg.text or msg.subject)
            ticket.updated_at = timezone.now()
            ticket.save()

        if ticket_created:
            # Subscribers may leave ticket-created work for the message event that follows
            # in this same call (automation does its two passes as one ticket change).
            scoped_put(message_follows_key(ticket.pk), message.pk)
            dispatch.emit(dispatch.TICKET_CREATED, ticket=ticket, message=message)
        dispatch.emit(
            dispatch.MESSAGE_RECEIVED,
            ticket=ticket,
            message=message,
            previous_status=previous_status,
        )
        ticket_publish(
            ticket=ticket, event_type="ticket.created" if ticket_created else "ticket.updated"
        )
        message_publish(message=message)
    return ReceiveResult(message=message, created=True, ticket_created=ticket_created)
