"""Replies and notes from operators, and their delivery through the ticket's channel."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from helpdesk.exceptions import ApplicationError, DeliveryError
from tickets import dispatch, senders
from tickets.models import AuthorKind, DeliveryStatus, Direction, Message, Status, Ticket
from tickets.sanitize import preview
from tickets.services.events import message_publish, ticket_event_record, ticket_publish

logger = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 15


class EmptyReply(ApplicationError):
    code = "empty_reply"


class TicketClosed(ApplicationError):
    code = "ticket_closed"


def ticket_reply(
    *,
    ticket: Ticket,
    author,
    text: str,
    internal: bool = False,
    author_kind: str = AuthorKind.AGENT,
) -> Message:
    """Store an operator's public reply (queued for delivery) or internal note."""
    text = (text or "").strip()
    if not text:
        raise EmptyReply("A reply needs some text.")
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if ticket.status == Status.CLOSED and not internal:
            raise TicketClosed(
                "This ticket is closed; the customer's next message opens a new one."
            )
        message = Message.objects.create(
            ticket=ticket,
            channel_id=ticket.channel_id,
            direction=Direction.OUTBOUND,
            author_kind=author_kind,
            author=author,
            is_internal=internal,
            text=text,
            delivery_status=DeliveryStatus.NOT_SENT if internal else DeliveryStatus.QUEUED,
            sent_at=now,
            created_at=now,
        )
        if not internal:
            human = author_kind == AuthorKind.AGENT
            if human:
                ticket.agent_reply_count += 1
                if ticket.first_response_at is None:
                    ticket.first_response_at = now
            ticket.last_agent_message_at = now
            ticket.last_message_preview = preview(text)
            if ticket.status == Status.NEW:
                ticket.status = Status.OPEN
            if human and ticket.assignee_id is None and author is not None:
                ticket.assignee = author
                ticket_event_record(
                    ticket=ticket, kind="assigned", actor=author, data={"to": author.pk}
                )
        ticket.updated_at = now
        ticket.save()
        ticket_event_record(
            ticket=ticket,
            kind="note_added" if internal else "replied",
            actor=author,
            actor_label="" if author else author_kind,
            data={"message_id": message.pk},
        )
        if not internal:
            dispatch.emit(dispatch.MESSAGE_SENT, ticket=ticket, message=message)
            transaction.on_commit(lambda: _enqueue_delivery(message.pk))
        ticket_publish(ticket=ticket, event_type="ticket.updated")
        message_publish(message=message)
    return message


def _enqueue_delivery(message_id: int) -> None:
    from tickets.tasks import message_deliver

    message_deliver.delay(message_id=message_id)


def retry_delay(attempt: int) -> timedelta:
    """Exponential backoff: 15 s, 30 s, 60 s, ... capped at one hour."""
    return timedelta(seconds=min(RETRY_BASE_SECONDS * 2 ** max(attempt - 1, 0), 3600))


def message_deliver(*, message_id: int) -> Message:
    """Hand one queued outbound message to its channel's sender, once.

    Claims the message with a conditional update so two workers never send it twice.
    On a retryable failure the message waits for `outbound_retry_due`; after
    OUTBOUND_MAX_ATTEMPTS it is marked failed for the operator to see and retry.
    """
    claimed = Message.objects.filter(
        pk=message_id,
        direction=Direction.OUTBOUND,
        is_internal=False,
        delivery_status__in=[DeliveryStatus.QUEUED, DeliveryStatus.RETRYING],
    ).update(delivery_status=DeliveryStatus.SENDING, next_attempt_at=None)
    message = Message.objects.select_related("ticket", "channel", "ticket__customer").get(
        pk=message_id
    )
    if not claimed:
        return message
    sender = senders.get(message.channel.kind)
    attempts = message.delivery_attempts + 1
    try:
        if sender is None:
            raise DeliveryError(
                f"No sender is configured for {message.channel.kind} channels.", retryable=False
            )
        external_id = sender(message)
    except DeliveryError as exc:
        retry = exc.retryable and attempts < settings.OUTBOUND_MAX_ATTEMPTS
        message.delivery_status = DeliveryStatus.RETRYING if retry else DeliveryStatus.FAILED
        message.next_attempt_at = timezone.now() + retry_delay(attempts) if retry else None
        message.delivery_error = exc.message
        logger.warning("delivery of message %s failed (attempt %s): %s", message_id, attempts, exc)
    else:
        message.delivery_status = DeliveryStatus.SENT
        message.delivery_error = ""
        message.next_attempt_at = None
        if external_id:
            message.external_id = external_id
    message.delivery_attempts = attempts
    with transaction.atomic():
        message.save(
            update_fields=[
                "delivery_status",
                "delivery_error",
                "next_attempt_at",
                "delivery_attempts",
                "external_id",
            ]
        )
        message_publish(message=message, event_type="message.updated")
    return message


def message_retry(*, message: Message, actor=None) -> Message:
    """An operator asks to send a failed message again."""
    if message.delivery_status != DeliveryStatus.FAILED:
        raise ApplicationError("Only failed messages can be sent again.")
    with transaction.atomic():
        Message.objects.filter(pk=message.pk, delivery_status=DeliveryStatus.FAILED).update(
            delivery_status=DeliveryStatus.QUEUED, delivery_attempts=0, delivery_error=""
        )
        ticket_event_record(
            ticket=message.ticket,
            kind="delivery_retried",
            actor=actor,
            data={"message_id": message.pk},
        )
        transaction.on_commit(lambda: _enqueue_delivery(message.pk))
    message.refresh_from_db()
    return message


def outbound_due_ids(*, limit: int = 500) -> list[int]:
    return list(
        Message.objects.filter(
            delivery_status=DeliveryStatus.RETRYING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
