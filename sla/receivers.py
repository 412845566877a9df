"""Subscribers to ticket events (tickets.dispatch). Thin: each calls one service.

They run inside the ticket service's transaction, so clocks move with the ticket change.
"""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save

from helpdesk.scoped_cache import scoped_forget
from sla import services
from sla.models import BusinessCalendar, BusinessInterval, CalendarDay, SlaPolicy, StuckStatusRule
from tickets import dispatch
from tickets.models import AuthorKind


def on_ticket_created(*, ticket, message=None, **_kw) -> None:
    at = message.sent_at if message is not None else ticket.created_at
    services.sla_on_ticket_created(ticket=ticket, at=at)
    services.sla_ticket_due_sync(ticket_id=ticket.pk)


def on_message_received(*, ticket, message, previous_status, **_kw) -> None:
    if services.sla_on_customer_message(
        ticket=ticket, at=message.sent_at, previous_status=previous_status
    ):
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


def _forget(**_kw) -> None:
    """An admin saved a policy, calendar or stuck rule: the open intake scope reads anew
    (other scopes start fresh anyway; see helpdesk.scoped_cache)."""
    scoped_forget("sla")


CONFIG_MODELS = [SlaPolicy, BusinessCalendar, BusinessInterval, CalendarDay, StuckStatusRule]


def connect() -> None:
    for event, fn in SUBSCRIPTIONS:
        dispatch.subscribe(event, fn)
    for model in CONFIG_MODELS:
        post_save.connect(_forget, sender=model, dispatch_uid=f"sla_forget_{model.__name__}")
        post_delete.connect(_forget, sender=model, dispatch_uid=f"sla_forget_del_{model.__name__}")
    for through in (SlaPolicy.teams.through, SlaPolicy.tags.through):
        m2m_changed.connect(_forget, sender=through, dispatch_uid=f"sla_forget_{through.__name__}")
