"""Subscribers to ticket events (tickets.dispatch). Thin: each calls one service.

They run inside the ticket service's transaction, so clocks move with the ticket change.
"""

from __future__ import annotations

from sla import services
from tickets import dispatch
from tickets.models import AuthorKind


def on_ticket_created(*, ticket, message=None, **_kw) -> None:
    at = message.sent_at if message is not None else ticket.created_at
    services.sla_on_ticket_created(ticket=ticket, at=at)
    services.sla_ticket_due_sync(ticket_id=ticket.pk)


def on_message_received(*, ticket, message, previous_status, **_kw) -> None:
    services.sla_on_customer_message(
        ticket=ticket, at=message.sent_at, previous_status=previous_status
    )
    services.sla_ticket_due_sync(ticket_id=ticket.pk)


def on_message_sent(*, ticket, message, **_kw) -> None:
    # Only a human's public reply answers the customer: not bots, not internal notes.
    if message.author_kind == AuthorKind.AGENT and not message.is_internal:
        services.sla_on_agent_reply(ticket=ticket, at=message.sent_at)
        services.sla_ticket_due_sync(ticket_id=ticket.pk)


def on_status_changed(*, ticket, previous_status, **_kw) -> None:
    services.sla_on_status_changed(ticket=ticket, previous_status=previous_status)
    services.sla_ticket_due_sync(ticket_id=ticket.pk)


def on_ticket_updated(*, ticket, fields=(), **_kw) -> None:
    if services.sla_on_ticket_updated(ticket=ticket, fields=list(fields)):
        services.sla_ticket_due_sync(ticket_id=ticket.pk)


SUBSCRIPTIONS = [
    (dispatch.TICKET_CREATED, on_ticket_created),
    (dispatch.MESSAGE_RECEIVED, on_message_received),
    (dispatch.MESSAGE_SENT, on_message_sent),
    (dispatch.STATUS_CHANGED, on_status_changed),
    (dispatch.TICKET_UPDATED, on_ticket_updated),
]


def connect() -> None:
    for event, fn in SUBSCRIPTIONS:
        dispatch.subscribe(event, fn)
