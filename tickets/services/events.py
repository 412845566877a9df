"""Writing the ticket's append-only event log and publishing live updates."""

from __future__ import annotations

from typing import Any

from helpdesk.realtime import publish_on_commit
from tickets.models import Message, Ticket, TicketEvent


def ticket_event_record(
    *, ticket: Ticket, kind: str, actor=None, actor_label: str = "", data: dict | None = None
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor=actor,
        actor_label=actor_label or (actor.get_username() if actor else "system"),
        data=data or {},
    )


def ticket_groups(ticket: Ticket) -> list[str]:
    groups = ["queue", f"ticket.{ticket.pk}"]
    if ticket.team_id:
        groups.append(f"team.{ticket.team_id}")
    if ticket.assignee_id:
        groups.append(f"agent.{ticket.assignee_id}")
    return groups


def ticket_publish(*, ticket: Ticket, event_type: str) -> None:
    event: dict[str, Any] = {
        "type": event_type,
        "ticket_id": ticket.pk,
        "status": ticket.status,
        "priority": ticket.priority,
        "assignee_id": ticket.assignee_id,
        "team_id": ticket.team_id,
    }
    publish_on_commit(event=event, groups=ticket_groups(ticket))


def _with_assignee(event: dict) -> dict:
    """The event with the ticket's assignee as committed: one read per message, so each
    operator's connection can tell whether it is theirs (`for_me`) without a query of its
    own (50 operators connected were 50 queries per customer message)."""
    assignee_id = (
        Ticket.objects.filter(pk=event["ticket_id"]).values_list("assignee_id", flat=True).first()
    )
    return {**event, "assignee_id": assignee_id}


def message_publish(*, message: Message, event_type: str = "message.created") -> None:
    """Publish a message event on commit. A new message carries the ticket's `assignee_id`,
    read at commit, so an assignment made later in the same transaction (routing after the
    intake, a rule) is the one the operators see."""
    event: dict[str, Any] = {
        "type": event_type,
        "ticket_id": message.ticket_id,
        "message_id": message.pk,
        "direction": message.direction,
        "author_kind": message.author_kind,
        "delivery_status": message.delivery_status,
    }
    complete = _with_assignee if event_type == "message.created" else None
    publish_on_commit(event=event, groups=ticket_groups(message.ticket), complete=complete)
