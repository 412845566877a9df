"""Subscribers to ticket events (tickets.dispatch). Thin: each calls one service."""

from __future__ import annotations

from django.db import transaction

from metrics import services
from metrics.services import rollup_marks
from tickets import dispatch
from tickets.models import AuthorKind, Status

DONE = (Status.SOLVED, Status.CLOSED)


def on_status_changed(*, ticket, previous_status, **_kw) -> None:
    if previous_status in DONE and ticket.solved_at is None:
        rollup_marks.mark_reopen(ticket=ticket)
    rollup_marks.mark_ticket(ticket=ticket)
    if ticket.merged_into_id:
        rollup_marks.mark_sequence(ticket=ticket)
    if ticket.status in DONE:
        services.fact_solved(ticket=ticket)
    if ticket.status == Status.SOLVED:
        ticket_id = ticket.pk
        transaction.on_commit(lambda: services.survey_send_after_solve(ticket_id=ticket_id))


def on_ticket_created(*, ticket, **_kw) -> None:
    rollup_marks.mark_ticket(ticket=ticket)
    rollup_marks.mark_sequence(ticket=ticket)


def on_ticket_updated(*, ticket, fields=(), **_kw) -> None:
    if set(fields) - {"tags"}:
        rollup_marks.mark_ticket(ticket=ticket)
    if "customer" in fields:  # its customer's ticket sequence and FCR "came back" change
        rollup_marks.mark_sequence(ticket=ticket)


def on_message_sent(*, ticket, message, **_kw) -> None:
    rollup_marks.mark_ticket(ticket=ticket)
    first = (
        message.author_kind == AuthorKind.AGENT
        and not message.is_internal
        and ticket.first_response_at is not None
        and ticket.agent_reply_count == 1
    )
    if first:
        services.fact_first_response(ticket=ticket)


def on_message_received(*, ticket, message, previous_status, **_kw) -> None:
    if previous_status in DONE and ticket.solved_at is None:
        rollup_marks.mark_reopen(ticket=ticket)
    rollup_marks.mark_ticket(ticket=ticket)
    services.survey_answer_from_message(
        ticket=ticket, message=message, previous_status=previous_status
    )


def on_solved_reply_claim(*, ticket, msg, **_kw) -> bool:
    return services.survey_claims_reply(ticket=ticket, msg=msg)


SUBSCRIPTIONS = [
    (dispatch.SOLVED_REPLY_CLAIM, on_solved_reply_claim),
    (dispatch.STATUS_CHANGED, on_status_changed),
    (dispatch.TICKET_CREATED, on_ticket_created),
    (dispatch.TICKET_UPDATED, on_ticket_updated),
    (dispatch.MESSAGE_SENT, on_message_sent),
    (dispatch.MESSAGE_RECEIVED, on_message_received),
]


def connect() -> None:
    for event, fn in SUBSCRIPTIONS:
        dispatch.subscribe(event, fn)
