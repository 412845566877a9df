"""Every write to tickets goes through these functions."""

from tickets.services.agents import agent_set_preferences
from tickets.services.canned import canned_render, canned_use, canned_variables
from tickets.services.customers import (
    customer_get_or_create_for_identity,
    customer_merge,
    customer_set_notes,
)
from tickets.services.delivery import message_delivery_update
from tickets.services.events import ticket_event_record
from tickets.services.intake import ReceiveResult, receive
from tickets.services.merge import message_split, ticket_merge
from tickets.services.outbound import message_deliver, message_retry, ticket_reply
from tickets.services.tickets import (
    ticket_assign,
    ticket_set_priority,
    ticket_set_status,
    ticket_set_tags,
    ticket_set_team,
    ticket_sla_due_set,
)
from tickets.services.worksession import work_session_record

__all__ = [
    "ReceiveResult",
    "agent_set_preferences",
    "canned_render",
    "canned_use",
    "canned_variables",
    "customer_get_or_create_for_identity",
    "customer_merge",
    "customer_set_notes",
    "message_deliver",
    "message_delivery_update",
    "message_retry",
    "message_split",
    "receive",
    "ticket_assign",
    "ticket_event_record",
    "ticket_merge",
    "ticket_reply",
    "ticket_set_priority",
    "ticket_set_status",
    "ticket_set_tags",
    "ticket_set_team",
    "ticket_sla_due_set",
    "work_session_record",
]
