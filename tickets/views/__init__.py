"""Operator pages: the queue and the ticket workspace."""

from tickets.views.queue import queue
from tickets.views.ticket import (
    message_retry_view,
    ticket_assign_view,
    ticket_detail,
    ticket_priority_view,
    ticket_reply_view,
    ticket_status_view,
)

__all__ = [
    "message_retry_view",
    "queue",
    "ticket_assign_view",
    "ticket_detail",
    "ticket_priority_view",
    "ticket_reply_view",
    "ticket_status_view",
]
