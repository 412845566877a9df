"""Subscribers of channels_in to ticket events (tickets.dispatch)."""

from __future__ import annotations

from tickets import dispatch
from tickets.models import Ticket


def on_agent_typing(*, ticket_id: int, user, **_kw) -> None:
    from channels_in.adapters.webchat import webchat_operator_typing
    from channels_in.webchat_services import webchat_ticket_visitors

    ticket = Ticket.objects.select_related("channel", "customer").filter(pk=ticket_id).first()
    if ticket is None:
        return
    visitors = webchat_ticket_visitors(ticket=ticket)
    if visitors:
        name = user.first_name or user.get_username()
        webchat_operator_typing(channel_id=ticket.channel_id, visitor_ids=visitors, name=name)


def connect() -> None:
    dispatch.subscribe(dispatch.AGENT_TYPING, on_agent_typing)
