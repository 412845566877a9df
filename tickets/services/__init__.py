"""Every write to tickets goes through these functions."""

from tickets.services.customers import customer_get_or_create_for_identity
from tickets.services.delivery import message_delivery_update
from tickets.services.events import ticket_event_record
from tickets.services.intake import ReceiveResult, receive
from tickets.services.outbound import message_deliver, message_retry, ticket_reply
from tickets.services.tickets import (
    ticket_assign,
    ticket_set_priority,
    ticket_set_status,
    ticket_set_tags,
    ticket_set_team,
)

__all__ = [
    "ReceiveResult",
    "customer_get_or_create_for_identity",
    "message_deliver",
    "message_delivery_update",
    "message_retry",
    "receive",
    "ticket_assign",
    "ticket_event_record",
    "ticket_reply",
    "ticket_set_priority",
    "ticket_set_status",
    "ticket_set_tags",
    "ticket_set_team",
]
