"""Payloads of live events sent to browsers, named <entity>.<verb>."""

from typing import TypedDict


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


EVENT_TYPES = {
    "ticket.created": TicketEvent,
    "ticket.updated": TicketEvent,
    "message.created": MessageEvent,
    "message.updated": MessageEvent,
}
