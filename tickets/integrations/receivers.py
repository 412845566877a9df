"""Ticket, SLA and survey events (tickets.dispatch) turned into webhook deliveries.

Thin: each subscriber names the webhook event and how to build its data; the service
records one delivery per interested subscription inside the caller's transaction.

What `message.created` covers: a customer message received, and an agent's, bot's or
system's (survey) public reply stored. Internal notes are never sent to outside systems.
"""

from __future__ import annotations

from tickets import dispatch
from tickets.integrations import payloads
from tickets.integrations.models import EventType
from tickets.integrations.services import (
    webhook_event_enqueue,
    webhook_updates_drop_for_new_ticket,
)
from tickets.models import Status


def _ticket(ticket_id: int) -> dict:
    return payloads.ticket_data(payloads.ticket_for_payload(ticket_id))


def on_ticket_created(*, ticket, message=None, **_kw) -> None:
    def data() -> dict:
        first = payloads.message_data(message.pk) if message is not None else None
        return {"ticket": _ticket(ticket.pk), "message": first}

    webhook_event_enqueue(event=EventType.TICKET_CREATED, data=data, ticket_id=ticket.pk)
    # Rules that ran while the ticket was being created already shaped this payload.
    webhook_updates_drop_for_new_ticket(ticket_id=ticket.pk)


def on_ticket_updated(*, ticket, fields=(), **_kw) -> None:
    changed = sorted(fields)
    webhook_event_enqueue(
        event=EventType.TICKET_UPDATED,
        data=lambda: {"ticket": _ticket(ticket.pk), "changed": changed},
        ticket_id=ticket.pk,
    )


def on_status_changed(*, ticket, previous_status, **_kw) -> None:
    webhook_event_enqueue(
        event=EventType.TICKET_UPDATED,
        data=lambda: {
            "ticket": _ticket(ticket.pk),
            "changed": ["status"],
            "previous_status": previous_status,
        },
        ticket_id=ticket.pk,
    )
    if ticket.status == Status.SOLVED:
        webhook_event_enqueue(
            event=EventType.TICKET_SOLVED,
            data=lambda: {"ticket": _ticket(ticket.pk), "previous_status": previous_status},
            ticket_id=ticket.pk,
        )


def _message_created(ticket, message) -> None:
    if message.is_internal:
        return
    webhook_event_enqueue(
        event=EventType.MESSAGE_CREATED,
        data=lambda: {"ticket": _ticket(ticket.pk), "message": payloads.message_data(message.pk)},
        ticket_id=ticket.pk,
    )


def on_message_received(*, ticket, message, previous_status=None, **_kw) -> None:
    _message_created(ticket, message)
    # A customer message that reopens a ticket changes its status without a status event.
    if previous_status is not None and previous_status != ticket.status:
        extra = {"changed": ["status"], "previous_status": previous_status}
        webhook_event_enqueue(
            event=EventType.TICKET_UPDATED,
            data=lambda: {"ticket": _ticket(ticket.pk), **extra},
            ticket_id=ticket.pk,
        )


def on_message_sent(*, ticket, message, **_kw) -> None:
    _message_created(ticket, message)


def _sla(event: str, *, ticket, metric: str, due_at=None, level: int = 0, **_kw) -> None:
    webhook_event_enqueue(
        event=event,
        data=lambda: {
            "ticket": _ticket(ticket.pk),
            "sla": payloads.sla_data(metric=metric, due_at=due_at, level=level),
        },
        ticket_id=ticket.pk,
    )


def on_sla_warning(**kw) -> None:
    _sla(EventType.SLA_WARNING, **kw)


def on_sla_breached(**kw) -> None:
    _sla(EventType.SLA_BREACHED, **kw)


def on_survey_answered(*, survey, response, **_kw) -> None:
    webhook_event_enqueue(
        event=EventType.SURVEY_ANSWERED,
        data=lambda: {
            "ticket": _ticket(survey.ticket_id),
            "survey": payloads.survey_data(survey=survey, response=response),
        },
        ticket_id=survey.ticket_id,
    )


SUBSCRIPTIONS = [
    (dispatch.TICKET_CREATED, on_ticket_created),
    (dispatch.TICKET_UPDATED, on_ticket_updated),
    (dispatch.STATUS_CHANGED, on_status_changed),
    (dispatch.MESSAGE_RECEIVED, on_message_received),
    (dispatch.MESSAGE_SENT, on_message_sent),
    (dispatch.SLA_WARNING, on_sla_warning),
    (dispatch.SLA_BREACHED, on_sla_breached),
    (dispatch.SURVEY_ANSWERED, on_survey_answered),
]


def connect() -> None:
    for event, fn in SUBSCRIPTIONS:
        dispatch.subscribe(event, fn)
