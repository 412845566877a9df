"""Changing a ticket: status, assignee, priority, team, tags."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from helpdesk.exceptions import ApplicationError
from tickets import dispatch
from tickets.models import PRIORITY_RANK, Status, Tag, Team, Ticket
from tickets.services.events import ticket_event_record, ticket_publish


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def ticket_set_status(*, ticket: Ticket, status: str, actor=None, actor_label: str = "") -> Ticket:
    if status not in Status.values:
        raise ApplicationError(f"Unknown status {status!r}.")
    with transaction.atomic():
        ticket = _locked(ticket)
        previous = ticket.status
        if previous == status:
            return ticket
        if previous == Status.CLOSED:
            raise ApplicationError("A closed ticket cannot change status.")
        now = timezone.now()
        ticket.status = status
        if status == Status.SOLVED:
            ticket.solved_at = now
        elif status == Status.CLOSED:
            # Closing keeps the solve time; closing an unsolved ticket solves it now.
            ticket.closed_at = now
            ticket.solved_at = ticket.solved_at or now
        elif previous == Status.SOLVED:
            ticket.solved_at = None
            ticket.reopen_count += 1
        ticket.updated_at = now
        ticket.save()
        ticket_event_record(
            ticket=ticket,
            kind="status_changed",
            actor=actor,
            actor_label=actor_label,
            data={"from": previous, "to": status},
        )
        dispatch.emit(dispatch.STATUS_CHANGED, ticket=ticket, previous_status=previous)
        ticket_publish(ticket=ticket, event_type="ticket.updated")
    return ticket


def _change(
    *, ticket: Ticket, field: str, new, values: dict, kind: str, actor, actor_label: str
) -> Ticket:
    """Set `values` on the locked ticket unless `field` already holds `new`; log and tell."""
    with transaction.atomic():
        ticket = _locked(ticket)
        previous = getattr(ticket, field)
        if previous == new:
            return ticket
        for name, value in values.items():
            setattr(ticket, name, value)
        ticket.updated_at = timezone.now()
        ticket.save(update_fields=[*values, "updated_at"])
        ticket_event_record(
            ticket=ticket,
            kind=kind,
            actor=actor,
            actor_label=actor_label,
            data={"from": previous, "to": new},
        )
        dispatch.emit(dispatch.TICKET_UPDATED, ticket=ticket, fields=[field.removesuffix("_id")])
        ticket_publish(ticket=ticket, event_type="ticket.updated")
    return ticket


def ticket_assign(*, ticket: Ticket, assignee, actor=None, actor_label: str = "") -> Ticket:
    return _change(
        ticket=ticket,
        field="assignee_id",
        new=assignee.pk if assignee else None,
        values={"assignee": assignee},
        kind="assigned",
        actor=actor,
        actor_label=actor_label,
    )


def ticket_set_priority(
    *, ticket: Ticket, priority: str, actor=None, actor_label: str = ""
) -> Ticket:
    if priority not in PRIORITY_RANK:
        raise ApplicationError(f"Unknown priority {priority!r}.")
    return _change(
        ticket=ticket,
        field="priority",
        new=priority,
        values={"priority": priority, "priority_rank": PRIORITY_RANK[priority]},
        kind="priority_changed",
        actor=actor,
        actor_label=actor_label,
    )


def ticket_set_team(
    *, ticket: Ticket, team: Team | None, actor=None, actor_label: str = ""
) -> Ticket:
    return _change(
        ticket=ticket,
        field="team_id",
        new=team.pk if team else None,
        values={"team": team},
        kind="team_changed",
        actor=actor,
        actor_label=actor_label,
    )


def ticket_set_tags(
    *,
    ticket: Ticket,
    add: list[Tag] = (),
    remove: list[Tag] = (),
    actor=None,
    actor_label: str = "",
) -> Ticket:
    with transaction.atomic():
        ticket = _locked(ticket)
        current = set(ticket.tags.values_list("pk", flat=True))
        to_add = [t for t in add if t.pk not in current]
        to_remove = [t for t in remove if t.pk in current]
        if not to_add and not to_remove:
            return ticket
        ticket.tags.add(*to_add)
        ticket.tags.remove(*to_remove)
        ticket.updated_at = timezone.now()
        ticket.save(update_fields=["updated_at"])
        ticket_event_record(
            ticket=ticket,
            kind="tags_changed",
            actor=actor,
            actor_label=actor_label,
            data={"added": [t.name for t in to_add], "removed": [t.name for t in to_remove]},
        )
        dispatch.emit(dispatch.TICKET_UPDATED, ticket=ticket, fields=["tags"])
        ticket_publish(ticket=ticket, event_type="ticket.updated")
    return ticket


def ticket_sla_due_set(*, ticket_id: int, due_at) -> None:
    """Record the ticket's nearest SLA due time (from `sla`: a value, or a query expression
    computing it inside the same UPDATE); no event, it is derived data."""
    Ticket.objects.filter(pk=ticket_id).update(sla_due_at=due_at)
