"""A small in-process event dispatcher.

Other apps (sla, rules, metrics) subscribe in `AppConfig.ready()`; services emit inside
their transaction, so a subscriber's writes commit or roll back with the change itself.
`tickets` never imports its subscribers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

Subscriber = Callable[..., None]
_subscribers: dict[str, list[Subscriber]] = defaultdict(list)

TICKET_CREATED = "ticket.created"
TICKET_UPDATED = "ticket.updated"
MESSAGE_RECEIVED = "message.received"
MESSAGE_SENT = "message.sent"  # an agent or bot public reply was stored
STATUS_CHANGED = "ticket.status_changed"
# Asked before a customer message reopens a solved ticket: a subscriber answering True
# claims the message as a reply to something of its own (a survey), and the ticket stays
# solved. Payload: ticket, msg (tickets.inbound.InboundMessage).
SOLVED_REPLY_CLAIM = "ticket.solved_reply_claim"
# An operator is typing a reply on a ticket (from the workspace socket, throttled).
# Payload: ticket_id, user (the operator). Channels with a typing indicator show it.
AGENT_TYPING = "agent.typing"
# Emitted by other apps for subscribers such as outbound webhooks (tickets emits none):
# an SLA warning or breach was handled (sla.services.notify). Payload: ticket, metric,
# due_at (ISO string or None), level.
SLA_WARNING = "sla.warning"
SLA_BREACHED = "sla.breached"
# A survey answer was stored or changed (metrics.services.surveys). Payload: survey, response.
SURVEY_ANSWERED = "survey.answered"


def subscribe(event: str, fn: Subscriber) -> None:
    if fn not in _subscribers[event]:
        _subscribers[event].append(fn)


def unsubscribe(event: str, fn: Subscriber) -> None:
    if fn in _subscribers[event]:
        _subscribers[event].remove(fn)


def emit(event: str, **payload: Any) -> None:
    for fn in list(_subscribers[event]):
        fn(**payload)


def claimed(event: str, **payload: Any) -> bool:
    """True if any subscriber claims the event (see SOLVED_REPLY_CLAIM)."""
    return any(fn(**payload) for fn in list(_subscribers[event]))
