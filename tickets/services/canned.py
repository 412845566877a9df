"""Canned responses: placeholder substitution (plain text, never a template) and usage."""

from __future__ import annotations

import re

from django.db.models import F

from tickets.models import CannedResponse, Ticket

# {{ name }} with optional spaces; anything else in braces is left alone.
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


def canned_variables(*, ticket: Ticket, agent) -> dict[str, str]:
    agent_name = ""
    if agent is not None:
        agent_name = agent.get_full_name() or agent.get_username()
    customer = ticket.customer
    return {
        "customer_name": customer.name or str(customer),
        "customer_first_name": (customer.name or str(customer)).split(" ")[0],
        "ticket_number": str(ticket.pk),
        "ticket_subject": ticket.subject,
        "agent_name": agent_name,
        "agent_first_name": (agent.first_name if agent is not None else "") or agent_name,
    }


def canned_render(*, body: str, variables: dict[str, str]) -> str:
    """Replace known {{placeholders}} by their values; unknown ones stay as written.

    Values are inserted verbatim into plain text (the reply is escaped when shown), and a
    value is never scanned for further placeholders.
    """
    return _PLACEHOLDER.sub(lambda m: variables.get(m.group(1), m.group(0)), body)


def canned_use(*, canned: CannedResponse, ticket: Ticket, agent) -> str:
    """The response's text for this ticket; counts one use."""
    CannedResponse.objects.filter(pk=canned.pk).update(usage_count=F("usage_count") + 1)
    return canned_render(body=canned.body, variables=canned_variables(ticket=ticket, agent=agent))
