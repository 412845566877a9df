"""CRM sync: create or update customers from the CRM, with their CRM attributes.

Matching (the same rule the ticket import uses, docs/import.md):
1. the CRM id (`Customer.external_id`);
2. else the email address (any case), among customers without another CRM id;
3. else the phone number (exact, after trimming), among customers without another CRM id.
Customers linked into another one (`merged_into`) or erased never match. No match: a new
customer. The CRM is the source of truth for what it sends: given non-empty fields replace
the stored ones, `attributes` replaces `crm_attributes` as a whole, `crm_synced_at` is
stamped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from helpdesk.exceptions import ApplicationError
from tickets.models import Customer

MAX_BATCH = 1000


class CustomerKeyMissing(ApplicationError):
    code = "customer_key_missing"


@dataclass(frozen=True)
class UpsertResult:
    customer: Customer
    created: bool
    matched_by: str | None  # "external_id", "email", "phone" or None (created)


def _live() -> Q:
    return Q(merged_into__isnull=True, erased_at__isnull=True)


def customer_match(*, external_id: str = "", email: str = "", phone: str = ""):
    """The customer these keys point at and the key that matched, or (None, None)."""
    base = Customer.objects.filter(_live()).order_by("pk")
    if external_id:
        found = base.filter(external_id=external_id).first()
        if found:
            return found, "external_id"
    free = Q(external_id="") | Q(external_id=external_id) if external_id else Q()
    if email:
        found = base.filter(free, email__iexact=email).first()
        if found:
            return found, "email"
    if phone:
        found = base.filter(free, phone=phone).first()
        if found:
            return found, "phone"
    return None, None


def customer_upsert(
    *,
    external_id: str = "",
    email: str = "",
    phone: str = "",
    name: str = "",
    language: str = "",
    attributes: dict | None = None,
    now: datetime | None = None,
) -> UpsertResult:
    external_id, email, phone = external_id.strip(), email.strip().lower(), phone.strip()
    if not (external_id or email or phone):
        raise CustomerKeyMissing("A customer needs an external_id, email or phone.")
    now = now or timezone.now()
    with transaction.atomic():
        customer, matched_by = customer_match(external_id=external_id, email=email, phone=phone)
        created = customer is None
        if created:
            customer = Customer(created_at=now)
        else:
            customer = Customer.objects.select_for_update().get(pk=customer.pk)
        for field, value in (
            ("external_id", external_id),
            ("email", email),
            ("phone", phone),
            ("name", name.strip()),
            ("language", language.strip()),
        ):
            if value:
                setattr(customer, field, value)
        if attributes is not None:
            customer.crm_attributes = attributes
        customer.crm_synced_at = now
        customer.save()
    return UpsertResult(customer=customer, created=created, matched_by=matched_by)


def customer_upsert_many(*, items: list[dict]) -> list[UpsertResult]:
    """Several customers in one transaction (all or none), in order; a later item sees the
    earlier ones (the same customer twice in a batch is one customer)."""
    if len(items) > MAX_BATCH:
        raise ApplicationError(f"At most {MAX_BATCH} customers per request.")
    now = timezone.now()
    with transaction.atomic():
        return [customer_upsert(**item, now=now) for item in items]
