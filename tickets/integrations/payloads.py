"""The `data` part of each webhook event, built from domain objects.

The shapes are the public contract documented in docs/webhooks.md: add fields, never rename
or remove them. Internal notes never appear here (see docs/webhooks.md).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import Prefetch

from tickets.models import Attachment, Message, Tag, Ticket


def _time(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _user(user) -> dict | None:
    if user is None:
        return None
    return {
        "id": user.pk,
        "username": user.get_username(),
        "name": user.get_full_name() or user.get_username(),
        "email": user.email,
    }


def ticket_for_payload(ticket_id: int) -> Ticket:
    """The ticket with everything its payload needs, in two queries."""
    return (
        Ticket.objects.select_related("channel", "customer", "team", "assignee")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.only("id", "name")))
        .get(pk=ticket_id)
    )


def ticket_data(ticket: Ticket) -> dict:
    customer = ticket.customer
    return {
        "id": ticket.pk,
        "url": f"{settings.PUBLIC_BASE_URL}/tickets/{ticket.pk}/",
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "channel": {
            "id": ticket.channel_id,
            "kind": ticket.channel.kind,
            "name": ticket.channel.name,
        },
        "customer": {
            "id": customer.pk,
            "external_id": customer.external_id,
            "name": customer.name,
            "email": customer.email,
            "phone": customer.phone,
        },
        "team": {"id": ticket.team_id, "name": ticket.team.name} if ticket.team else None,
        "assignee": _user(ticket.assignee),
        "tags": sorted(t.name for t in ticket.tags.all()),
        "external_id": ticket.external_id,
        "created_at": _time(ticket.created_at),
        "updated_at": _time(ticket.updated_at),
        "first_response_at": _time(ticket.first_response_at),
        "solved_at": _time(ticket.solved_at),
        "closed_at": _time(ticket.closed_at),
        "reopen_count": ticket.reopen_count,
    }


def message_data(message_id: int) -> dict:
    message = (
        Message.objects.select_related("author")
        .prefetch_related(
            Prefetch(
                "attachments",
                queryset=Attachment.objects.only(
                    "id", "message_id", "filename", "content_type", "size"
                ),
            )
        )
        .get(pk=message_id)
    )
    return {
        "id": message.pk,
        "ticket_id": message.ticket_id,
        "direction": message.direction,
        "author_kind": message.author_kind,
        "author": _user(message.author),
        "text": message.text,
        "sent_at": _time(message.sent_at),
        "created_at": _time(message.created_at),
        "attachments": [
            {"id": a.pk, "filename": a.filename, "content_type": a.content_type, "size": a.size}
            for a in message.attachments.all()
        ],
    }


def survey_data(*, survey, response) -> dict:
    return {
        "id": survey.pk,
        "kind": survey.kind,
        "score": response.score,
        "comment": response.comment,
        "source": response.source,
        "sent_at": _time(survey.sent_at),
        "answered_at": _time(response.created_at),
        "agent_id": survey.agent_id,
    }


def sla_data(*, metric: str, due_at: str | None, level: int = 0) -> dict:
    return {"metric": metric, "due_at": due_at, "level": level}
