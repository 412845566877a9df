"""receive(): the one entry through which every customer message enters the help desk."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
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
from tickets.services.inserts import insert_ignoring_conflict, insert_ignoring_conflict_ok
from tickets.services.message_facts import customer_other_tickets_put, ticket_created_put


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
    *, customer: Customer, channel: Channel, msg: InboundMessage, customer_is_new: bool = False
) -> tuple[Ticket, bool]:
    """The customer's latest unclosed ticket on this channel, reopened if solved; else a new one.

    Closed tickets are final: a message after closing opens a new ticket.
    An email reply joins the ticket its thread refers to (see `_ticket_by_thread_ref`).
    `customer_is_new`: the customer was created in this transaction (has no ticket).
    """
    ticket = _ticket_by_thread_ref(customer=customer, channel=channel, msg=msg)
    if ticket is not None:
        return ticket, False
    if not customer_is_new:
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


def _channel(channel_id: int, external_id: str) -> Channel:
    """The channel, with its automation settings (its default team's routing settings too)
    and the rules and tags versions read in the same query and handed to the scope the subscribers
    read them from; `stored_message_id`: the message with this external id if it is
    stored already (a retried delivery)."""
    from tickets.rules.apply import (
        channel_settings_put,
        rules_version_annotations,
        rules_version_put,
    )
    from tickets.rules.tag_cache import tags_version_annotations, tags_version_put
    from tickets.services.routing import team_routing_put

    stored = Message.objects.filter(channel_id=OuterRef("pk"), external_id=external_id)
    channel = (
        Channel.objects.select_related("automation__default_team__routing")
        .annotate(
            stored_message_id=Subquery(stored.order_by().values("pk")[:1]),
            **rules_version_annotations(),
            **tags_version_annotations(),
        )
        .get(pk=channel_id)
    )
    rules_version_put(channel)
    tags_version_put(channel)
    try:
        settings_ = channel.automation
    except ObjectDoesNotExist:
        settings_ = None
    channel_settings_put(channel.pk, settings_)
    if settings_ is not None and settings_.default_team is not None:
        team_routing_put(settings_.default_team)
    return channel


def _stored_message(channel: Channel) -> Message | None:
    """The message as already stored (a retried delivery), if it is: the channel read
    looked (no query when it is not)."""
    if channel.stored_message_id is None:
        return None
    return Message.objects.filter(pk=channel.stored_message_id).first()


def _message_insert(message: Message) -> bool:
    """Insert the message; False when a concurrent delivery stored it first (the unique
    external id). Without a savepoint where the database allows (tickets.services.inserts)."""
    if insert_ignoring_conflict_ok(Message):
        return insert_ignoring_conflict(message)
    try:
        with transaction.atomic():
            message.save(force_insert=True)
    except IntegrityError:
        return False
    return True


def receive(*, msg: InboundMessage) -> ReceiveResult:
    """Store one inbound message: customer, ticket, message, events, live update.

    Idempotent by (channel, external message id): a retried delivery returns the stored row.
    The whole message is one scoped unit of work (helpdesk.scoped_cache): the subscribers
    read SLA policies, calendars, channel settings and rules once.
    """
    with scoped_cache():
        return _receive(msg)


class _Duplicate(Exception):
    """A concurrent delivery of the same message stored it first."""


def _receive(msg: InboundMessage) -> ReceiveResult:
    channel = _channel(msg.channel_id, msg.external_message_id)
    existing = _stored_message(channel)
    if existing:
        return ReceiveResult(message=existing, created=False, ticket_created=False)
    try:
        return _receive_new(msg, channel)
    except _Duplicate:
        # The other delivery won the race: its message, read after our rollback.
        existing = Message.objects.get(channel=channel, external_id=msg.external_message_id)
        return ReceiveResult(message=existing, created=False, ticket_created=False)


def _receive_new(msg: InboundMessage, channel: Channel) -> ReceiveResult:
    with transaction.atomic():
        customer, _identity, customer_created = customer_resolve_for_identity(
            channel=channel, sender=msg.sender
        )
        ticket, ticket_created = ticket_get_active_or_create(
            customer=customer, channel=channel, msg=msg, customer_is_new=customer_created
        )
        if ticket_created:
            # What the subscribers need not ask the database (tickets.services.message_facts):
            # a new ticket has no tags, clocks or watch; a customer created just now has no
            # other ticket (the rules' "repeat customer", routing's sticky, metrics).
            ticket_created_put(ticket_id=ticket.pk)
            if customer_created:
                customer_other_tickets_put(
                    customer_id=customer.pk, ticket_id=ticket.pk, value=False
                )
        # The subscribers read these: no lazy loads when they are the rows just read (a
        # thread reply may come from another participant than the ticket's customer).
        if ticket.customer_id == customer.pk:
            ticket.customer = customer
        if ticket.channel_id == channel.pk:
            ticket.channel = channel
        message = Message(
            ticket=ticket,
            channel=channel,
            direction=Direction.INBOUND,
            author_kind=AuthorKind.CUSTOMER,
            text=msg.text,
            html=sanitize_html(msg.html),
            external_id=msg.external_message_id,
            reply_to_external_id=msg.reply_to_external_id[:255],
            delivery_status=DeliveryStatus.RECEIVED,
            sent_at=msg.sent_at,
            inbound_event_id=msg.raw_event_id,
        )
        if not _message_insert(message):
            raise _Duplicate  # rolls back what this delivery wrote
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
