"""Exports: tickets with messages as JSON Lines (the import format, so an export imports
back), and the ticket list as CSV. Both are generators over chunked queries: memory stays
flat however many tickets there are.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django.db.models import IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from tickets.models import AuthorKind, Message, Ticket, WorkSession
from tickets.transfer.resolve import channel_label

CHUNK = 500


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _customer_key(customer) -> str:
    """Customers without a CRM id are exported under their id in this help desk, so the
    tickets of one customer stay together when the file is imported elsewhere."""
    return customer.external_id or f"helpdesk:{customer.pk}"


def ticket_export_queryset(queryset: QuerySet[Ticket] | None = None) -> QuerySet[Ticket]:
    from metrics.models import SurveyKind, SurveyResponse

    queryset = Ticket.objects.all() if queryset is None else queryset
    handle = (
        WorkSession.objects.filter(ticket_id=OuterRef("pk"))
        .order_by()
        .values("ticket_id")
        .annotate(s=Sum("seconds"))
        .values("s")
    )
    csat = (
        SurveyResponse.objects.filter(ticket_id=OuterRef("pk"), kind=SurveyKind.CSAT)
        .order_by("-created_at", "-id")
        .values("score")[:1]
    )
    messages = (
        Message.objects.exclude(author_kind=AuthorKind.SYSTEM)
        .select_related("author")
        .order_by("sent_at", "id")
    )
    return (
        queryset.filter(merged_into__isnull=True)
        .select_related("channel", "customer", "team", "assignee")
        .prefetch_related(Prefetch("messages", queryset=messages), "tags")
        .annotate(
            _handle=Coalesce(Subquery(handle, output_field=IntegerField()), 0),
            _csat=Subquery(csat, output_field=IntegerField()),
        )
        .order_by("pk")
    )


def ticket_as_record(ticket: Ticket) -> dict:
    """One ticket in the import format (docs/import.md)."""
    customer = ticket.customer
    return {
        "external_id": ticket.external_id or f"helpdesk:{ticket.pk}",
        "channel": channel_label(ticket.channel),
        "customer": {
            "external_id": _customer_key(customer),
            "name": customer.name,
            "email": customer.email,
            "phone": customer.phone,
        },
        "subject": ticket.subject,
        "priority": ticket.priority,
        "tags": sorted(t.name for t in ticket.tags.all()),
        "status": ticket.status,
        "created_at": _iso(ticket.created_at),
        "solved_at": _iso(ticket.solved_at),
        "reopened": ticket.reopen_count,
        "team": ticket.team.name if ticket.team else "",
        "assignee": ticket.assignee.get_username() if ticket.assignee else "",
        "messages": [
            {
                "direction": m.direction,
                "author": m.author_kind,
                "agent": m.author.get_username()
                if m.author and m.author_kind == AuthorKind.AGENT
                else "",
                "sent_at": _iso(m.sent_at),
                "text": m.text,
                "internal": m.is_internal,
            }
            for m in ticket.messages.all()
        ],
        "handle_seconds": getattr(ticket, "_handle", 0) or None,
        "csat": getattr(ticket, "_csat", None),
    }


def export_jsonl(queryset: QuerySet[Ticket] | None = None) -> Iterator[str]:
    """Lines of JSON (each ending in a newline), one ticket each, oldest id first."""
    for ticket in ticket_export_queryset(queryset).iterator(chunk_size=CHUNK):
        yield json.dumps(ticket_as_record(ticket), ensure_ascii=False) + "\n"


# --- CSV ----------------------------------------------------------------------------------

CSV_COLUMNS = [
    "id",
    "external_id",
    "subject",
    "status",
    "priority",
    "channel",
    "customer",
    "customer_email",
    "customer_phone",
    "team",
    "assignee",
    "tags",
    "created_at",
    "first_response_at",
    "solved_at",
    "reopen_count",
    "agent_reply_count",
]


def csv_cell(value) -> str:
    """Text a spreadsheet would take for a formula is prefixed with an apostrophe."""
    if value is None:
        return ""
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


class _Line:
    def write(self, value: str) -> str:
        return value


def export_csv(queryset: QuerySet[Ticket]) -> Iterator[str]:
    """The ticket list as CSV rows (header first), in the queryset's order."""
    writer = csv.writer(_Line())
    yield writer.writerow(CSV_COLUMNS)
    rows = queryset.select_related("channel", "customer", "team", "assignee").prefetch_related(
        "tags"
    )
    for t in rows.iterator(chunk_size=CHUNK):
        yield writer.writerow(
            [
                csv_cell(v)
                for v in (
                    t.pk,
                    t.external_id,
                    t.subject,
                    t.status,
                    t.priority,
                    t.channel.name,
                    t.customer.name,
                    t.customer.email,
                    t.customer.phone,
                    t.team.name if t.team else "",
                    t.assignee.get_username() if t.assignee else "",
                    ", ".join(sorted(tag.name for tag in t.tags.all())),
                    _iso(t.created_at),
                    _iso(t.first_response_at),
                    _iso(t.solved_at),
                    t.reopen_count,
                    t.agent_reply_count,
                )
            ]
        )
