"""Payloads of live events sent to browsers over /ws/agent/, named <entity>.<verb>.

Every event a service publishes has one of these shapes; tests/helpdesk/test_events.py
records what the services publish and checks each event against its TypedDict.
"""

from typing import NotRequired, TypedDict


class TicketEvent(TypedDict):
    type: str  # "ticket.created" | "ticket.updated"
    ticket_id: int
    status: str
    priority: str
    assignee_id: int | None
    team_id: int | None


class MessageEvent(TypedDict):
    type: str  # "message.created" | "message.updated"
    ticket_id: int
    message_id: int
    direction: str
    author_kind: str
    delivery_status: str
    # message.created only: the ticket's assignee as committed (tickets.services.events).
    assignee_id: NotRequired[int | None]


class SlaItem(TypedDict):
    ticket_id: int
    metric: str
    level: int
    due_at: NotRequired[str | None]


class SlaAlert(TypedDict):
    type: str  # "sla.warning" | "sla.breached" | "sla.escalated" | "sla.stuck"
    items: list[SlaItem]


class Notification(TypedDict):
    type: str  # "notification" (a rule's notify action)
    ticket_id: int
    text: str


EVENT_TYPES: dict[str, type] = {
    "ticket.created": TicketEvent,
    "ticket.updated": TicketEvent,
    "message.created": MessageEvent,
    "message.updated": MessageEvent,
    "sla.warning": SlaAlert,
    "sla.breached": SlaAlert,
    "sla.escalated": SlaAlert,
    "sla.stuck": SlaAlert,
    "notification": Notification,
}


def event_problems(event: dict) -> list[str]:
    """What is wrong with an event's shape (empty when it matches its TypedDict)."""
    schema = EVENT_TYPES.get(event.get("type"))
    if schema is None:
        return [f"unknown event type {event.get('type')!r}"]
    required, optional = schema.__required_keys__, schema.__optional_keys__
    problems = [f"missing {key}" for key in sorted(required - event.keys())]
    problems += [f"unexpected {key}" for key in sorted(event.keys() - required - optional)]
    if schema is SlaAlert:
        for item in event.get("items", []):
            keys = item.keys()
            problems += [f"item missing {k}" for k in sorted(SlaItem.__required_keys__ - keys)]
            extra = keys - SlaItem.__required_keys__ - SlaItem.__optional_keys__
            problems += [f"item unexpected {k}" for k in sorted(extra)]
    return problems
