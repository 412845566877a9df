"""Subscribers of channels_in to ticket events (tickets.dispatch)."""

from __future__ import annotations

from tickets import dispatch
from tickets.models import Ticket


def on_agent_typing(*, ticket_id: int, user, **_kw) -> None:
    from channels_in.webchat_services import webchat_operator_typing_on

    ticket = Ticket.objects.select_related("channel", "customer").filter(pk=ticket_id).first()
    if ticket is not None:
        webchat_operator_typing_on(ticket=ticket, user=user)


def connect() -> None:
    dispatch.subscribe(dispatch.AGENT_TYPING, on_agent_typing)
