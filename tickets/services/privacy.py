"""Personal-data requests: a customer's full data export, and erasure. Both are logged.

A customer is the person: the export and the erasure also cover the customer rows linked
into it (`merged_into`, the same person found on another channel earlier).

Erasure keeps the rows that metrics count (customer, tickets, messages with their times,
authors and directions, survey scores) and removes what identifies or was written by the
person: name, email, phone, notes, CRM id and attributes, identity names and ids, ticket
subjects and previews, every message text and HTML of their tickets, survey comments,
attachment files, and the raw webhook bodies their messages arrived in.
"""

from __future__ import annotations

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from helpdesk.audit.services import audit_record
from tickets.models import Attachment, Customer, CustomerIdentity, Message, Ticket


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def customer_group_ids(*, customer: Customer) -> list[int]:
    """The customer and every customer linked into it, directly or through another."""
    ids, frontier = [customer.pk], [customer.pk]
    while frontier:
        frontier = list(
            Customer.objects.filter(merged_into_id__in=frontier)
            .exclude(pk__in=ids)
            .values_list("pk", flat=True)
        )
        ids.extend(frontier)
    return ids


def _survey_responses(customer_ids: list[int]):
    model = apps.get_model("metrics", "SurveyResponse")
    return model.objects.filter(customer_id__in=customer_ids).order_by("created_at", "pk")


def _profile(c: Customer) -> dict:
    return {
        "id": c.pk,
        "name": c.name,
        "email": c.email,
        "phone": c.phone,
        "language": c.language,
        "external_id": c.external_id,
        "notes": c.notes,
        "crm_attributes": c.crm_attributes,
        "crm_synced_at": _iso(c.crm_synced_at),
        "created_at": _iso(c.created_at),
        "erased_at": _iso(c.erased_at),
        "linked_into": c.merged_into_id,
    }


def customer_data(*, customer: Customer) -> dict:
    """Everything the help desk holds about the person, as JSON-ready data."""
    ids = customer_group_ids(customer=customer)
    customers = Customer.objects.filter(pk__in=ids).order_by("pk")
    identities = (
        CustomerIdentity.objects.filter(customer_id__in=ids)
        .select_related("channel")
        .order_by("pk")
    )
    tickets = (
        Ticket.objects.filter(customer_id__in=ids)
        .select_related("channel")
        .prefetch_related("tags", "messages__attachments", "messages__author")
        .order_by("pk")
    )
    return {
        "format": "helpdesk.customer-data.v1",
        "exported_at": _iso(timezone.now()),
        "customer": _profile(customer),
        "linked_customers": [_profile(c) for c in customers if c.pk != customer.pk],
        "identities": [
            {
                "channel": {"id": i.channel_id, "kind": i.channel.kind, "name": i.channel.name},
                "external_id": i.external_id,
                "display_name": i.display_name,
                "username": i.username,
                "created_at": _iso(i.created_at),
            }
            for i in identities
        ],
        "tickets": [
            {
                "id": t.pk,
                "external_id": t.external_id,
                "subject": t.subject,
                "status": t.status,
                "priority": t.priority,
                "channel": {"id": t.channel_id, "kind": t.channel.kind, "name": t.channel.name},
                "tags": sorted(tag.name for tag in t.tags.all()),
                "created_at": _iso(t.created_at),
                "solved_at": _iso(t.solved_at),
                "closed_at": _iso(t.closed_at),
                "messages": [
                    {
                        "id": m.pk,
                        "direction": m.direction,
                        "author_kind": m.author_kind,
                        "internal": m.is_internal,
                        "text": m.text,
                        "html": m.html,
                        "sent_at": _iso(m.sent_at),
                        "attachments": [
                            {
                                "id": a.pk,
                                "filename": a.filename,
                                "content_type": a.content_type,
                                "size": a.size,
                                "stored": bool(a.file),
                            }
                            for a in m.attachments.all()
                        ],
                    }
                    for m in t.messages.all()
                ],
            }
            for t in tickets
        ],
        "survey_answers": [
            {
                "kind": r.kind,
                "score": r.score,
                "comment": r.comment,
                "ticket_id": r.ticket_id,
                "created_at": _iso(r.created_at),
            }
            for r in _survey_responses(ids)
        ],
    }


def _audit_target(customer: Customer) -> Customer:
    """The customer by id only: the append-only audit log must not keep the person's name
    (it shows as "#<id>")."""
    return Customer(pk=customer.pk)


def customer_data_export(*, customer: Customer, actor=None, request=None) -> dict:
    """The data export, recorded in the audit log as "customer.exported"."""
    data = customer_data(customer=customer)
    with transaction.atomic():
        audit_record(
            action="customer.exported",
            actor=actor,
            target=_audit_target(customer),
            data={
                "tickets": len(data["tickets"]),
                "messages": sum(len(t["messages"]) for t in data["tickets"]),
                "linked_customers": len(data["linked_customers"]),
            },
            request=request,
        )
    return data


def customer_erase(*, customer: Customer, actor=None, request=None) -> Customer:
    """Anonymise the person (see the module doc); logged as "customer.erased"."""
    now = timezone.now()
    files = []
    with transaction.atomic():
        ids = customer_group_ids(customer=customer)
        Customer.objects.select_for_update().filter(pk__in=ids).update(
            name="",
            email="",
            phone="",
            notes="",
            external_id="",
            crm_attributes={},
            crm_synced_at=None,
            erased_at=now,
        )
        identities = list(CustomerIdentity.objects.filter(customer_id__in=ids))
        for identity in identities:
            identity.external_id = f"erased:{identity.pk}"
            identity.display_name = ""
            identity.username = ""
        CustomerIdentity.objects.bulk_update(
            identities, ["external_id", "display_name", "username"]
        )
        ticket_ids = list(Ticket.objects.filter(customer_id__in=ids).values_list("pk", flat=True))
        Ticket.objects.filter(pk__in=ticket_ids).update(subject="", last_message_preview="")
        messages = Message.objects.filter(ticket_id__in=ticket_ids)
        event_ids = [e for e in messages.values_list("inbound_event_id", flat=True) if e]
        message_count = messages.update(text="", html="", delivery_error="", buttons={})
        attachments = Attachment.objects.filter(message__ticket_id__in=ticket_ids)
        files = [a.file.name for a in attachments if a.file]
        attachment_count = attachments.count()
        attachments.delete()
        if event_ids:
            journal = apps.get_model("channels_in", "InboundEvent")
            journal.objects.filter(pk__in=event_ids).update(body=b"", headers={})
        _survey_responses(ids).update(comment="")
        audit_record(
            action="customer.erased",
            actor=actor,
            target=_audit_target(customer),
            data={
                "customers": len(ids),
                "identities": len(identities),
                "tickets": len(ticket_ids),
                "messages": message_count,
                "attachments": attachment_count,
            },
            request=request,
        )
        transaction.on_commit(lambda: _delete_files(files))
    customer.refresh_from_db()
    return customer


def _delete_files(names: list[str]) -> None:
    storage = Attachment._meta.get_field("file").storage
    for name in names:
        storage.delete(name)
