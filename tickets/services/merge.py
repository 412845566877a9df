"""Merging one ticket into another and splitting a message out into a new ticket."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max, Min, Q
from django.utils import timezone

from helpdesk.exceptions import ApplicationError
from tickets import dispatch
from tickets.models import AuthorKind, Direction, Message, Status, Ticket
from tickets.sanitize import preview
from tickets.services.events import ticket_event_record, ticket_publish
from tickets.services.message_facts import ticket_tag_ids_put


class MergeError(ApplicationError):
    code = "merge_invalid"


class SplitError(ApplicationError):
    code = "split_invalid"


def _refresh_message_facts(ticket: Ticket) -> None:
    """Recompute the customer/agent message times of `ticket` from its messages (one query)."""
    facts = Message.objects.filter(ticket=ticket, is_internal=False).aggregate(
        first_in=Min("sent_at", filter=_inbound()),
        last_in=Max("sent_at", filter=_inbound()),
        first_out=Min("sent_at", filter=_agent()),
        last_out=Max("sent_at", filter=_agent()),
    )
    ticket.first_customer_message_at = facts["first_in"]
    ticket.last_customer_message_at = facts["last_in"]
    ticket.last_agent_message_at = facts["last_out"]
    if facts["first_out"] and (
        ticket.first_response_at is None or facts["first_out"] < ticket.first_response_at
    ):
        ticket.first_response_at = facts["first_out"]


def _inbound() -> Q:
    return Q(direction=Direction.INBOUND)


def _agent() -> Q:
    return Q(direction=Direction.OUTBOUND, author_kind=AuthorKind.AGENT)


def ticket_merge(*, source: Ticket, target: Ticket, actor=None, actor_label: str = "") -> Ticket:
    """Move every message of `source` into `target`, close `source` and link it to `target`.

    Both tickets record an event. Returns the updated target.
    """
    if source.pk == target.pk:
        raise MergeError("A ticket cannot be merged into itself.")
    with transaction.atomic():
        # Lock in id order so two opposite merges cannot deadlock.
        locked = {
            t.pk: t
            for t in Ticket.objects.select_for_update().filter(pk__in=[source.pk, target.pk])
        }
        if len(locked) != 2:
            raise MergeError("The ticket to merge into does not exist.")
        source, target = locked[source.pk], locked[target.pk]
        if source.merged_into_id:
            raise MergeError(f"Ticket #{source.pk} was already merged.")
        if source.status == Status.CLOSED:
            raise MergeError("A closed ticket cannot be merged.")
        if target.status == Status.CLOSED or target.merged_into_id:
            raise MergeError("Cannot merge into a closed ticket.")
        moved = Message.objects.filter(ticket=source).update(ticket=target)
        now = timezone.now()
        _refresh_message_facts(target)
        latest = Message.objects.filter(ticket=target).order_by("-created_at", "-pk").first()
        if latest is not None:
            target.last_message_preview = preview(latest.text)
        target.updated_at = now
        target.save()
        target.tags.add(*source.tags.all())
        ticket_tag_ids_put(ticket_id=target.pk, tag_ids=None)  # unknown: read anew

        previous = source.status
        source.status = Status.CLOSED
        source.closed_at = now
        source.solved_at = source.solved_at or now
        source.merged_into = target
        source.updated_at = now
        source.save()
        ticket_event_record(
            ticket=source,
            kind="merged_into",
            actor=actor,
            actor_label=actor_label,
            data={"into": target.pk, "messages": moved},
        )
        ticket_event_record(
            ticket=source,
            kind="status_changed",
            actor=actor,
            actor_label=actor_label,
            data={"from": previous, "to": Status.CLOSED},
        )
        ticket_event_record(
            ticket=target,
            kind="merged_from",
            actor=actor,
            actor_label=actor_label,
            data={"from": source.pk, "messages": moved},
        )
        dispatch.emit(dispatch.STATUS_CHANGED, ticket=source, previous_status=previous)
        dispatch.emit(dispatch.TICKET_UPDATED, ticket=target, fields=["messages"])
        ticket_publish(ticket=source, event_type="ticket.updated")
        ticket_publish(ticket=target, event_type="ticket.updated")
    return target


def message_split(*, message: Message, actor=None, actor_label: str = "") -> Ticket:
    """Move one customer message into a new ticket of the same customer and channel."""
    if message.is_internal:
        raise SplitError("Internal notes cannot be split into a ticket.")
    with transaction.atomic():
        source = Ticket.objects.select_for_update().get(pk=message.ticket_id)
        message = Message.objects.select_for_update().get(pk=message.pk, ticket=source)
        if not Message.objects.filter(ticket=source).exclude(pk=message.pk).exists():
            raise SplitError("The only message of a ticket cannot be split off.")
        now = timezone.now()
        ticket = Ticket.objects.create(
            subject=preview(message.text, 120)[:255],
            customer_id=source.customer_id,
            channel_id=message.channel_id,
            status=Status.NEW,
            priority=source.priority,
            priority_rank=source.priority_rank,
            team_id=source.team_id,
            created_at=now,
            updated_at=now,
            last_message_preview=preview(message.text),
        )
        message.ticket = ticket
        message.save(update_fields=["ticket"])
        _refresh_message_facts(ticket)
        ticket.save()
        _refresh_message_facts(source)
        source.updated_at = now
        source.save()
        ticket_event_record(
            ticket=ticket,
            kind="split_from",
            actor=actor,
            actor_label=actor_label,
            data={"from": source.pk, "message_id": message.pk},
        )
        ticket_event_record(
            ticket=source,
            kind="split_to",
            actor=actor,
            actor_label=actor_label,
            data={"to": ticket.pk, "message_id": message.pk},
        )
        dispatch.emit(dispatch.TICKET_CREATED, ticket=ticket, message=message)
        ticket_publish(ticket=ticket, event_type="ticket.created")
        ticket_publish(ticket=source, event_type="ticket.updated")
    return ticket
