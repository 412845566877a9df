"""Revenue events from the CRM: one at a time (API) or a CSV file; idempotent by order id."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from helpdesk.exceptions import ApplicationError
from metrics.models import RevenueEvent
from tickets.models import Customer

CSV_COLUMNS = ["order_id", "amount", "currency", "date", "customer_external_id", "email", "phone"]


@dataclass
class RevenueRow:
    order_id: str
    amount: Decimal
    occurred_at: datetime
    currency: str = "RUB"
    customer_external_id: str = ""
    email: str = ""
    phone: str = ""


def _digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())


def customer_match(*, external_id: str = "", email: str = "", phone: str = "") -> Customer | None:
    """By CRM id first, then email (case-insensitive), then phone (digits only)."""
    base = Customer.objects.filter(merged_into__isnull=True)
    if external_id:
        found = base.filter(external_id=external_id).order_by("pk").first()
        if found:
            return found
    if email:
        found = base.filter(email__iexact=email.strip()).order_by("pk").first()
        if found:
            return found
    digits = _digits(phone)
    if len(digits) >= 6:
        found = (
            base.filter(Q(phone=phone.strip()) | Q(phone=digits) | Q(phone=f"+{digits}"))
            .order_by("pk")
            .first()
        )
        if found:
            return found
    return None


def revenue_record(*, row: RevenueRow, source: str = "api") -> tuple[RevenueEvent, bool]:
    """Store one event; the same order id again updates it. Returns (event, created)."""
    if not row.order_id:
        raise ApplicationError("order_id is required.")
    customer = customer_match(
        external_id=row.customer_external_id, email=row.email, phone=row.phone
    )
    with transaction.atomic():
        return RevenueEvent.objects.update_or_create(
            order_id=row.order_id,
            defaults={
                "customer": customer,
                "customer_external_id": row.customer_external_id,
                "email": row.email,
                "phone": row.phone,
                "amount": row.amount,
                "currency": (row.currency or "RUB").upper()[:3],
                "occurred_at": row.occurred_at,
                "source": source,
            },
        )


def parse_moment(value: str) -> datetime | None:
    value = (value or "").strip()
    dt = parse_datetime(value)
    if dt is None:
        day = parse_date(value)
        if day is None:
            return None
        dt = datetime.combine(day, time(12))
    if timezone.is_naive(dt):
        dt = timezone.make_aware(dt)
    return dt


def parse_amount(value: str) -> Decimal:
    try:
        return Decimal(str(value).replace(" ", "").replace(",", "."))
    except InvalidOperation as exc:
        raise ApplicationError(f"Not an amount: {value!r}.") from exc


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    matched: int = 0
    errors: list[str] = field(default_factory=list)


def revenue_import_csv(*, text: str, source: str = "csv") -> ImportResult:
    """Columns (header row): order_id, amount, currency, date, and at least one of
    customer_external_id, email, phone. Bad rows are reported and skipped."""
    result = ImportResult()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = {"order_id", "amount", "date"} - set(reader.fieldnames or [])
    if missing:
        raise ApplicationError("Missing columns: " + ", ".join(sorted(missing)))
    for line, raw in enumerate(reader, start=2):
        try:
            when = parse_moment(raw.get("date", ""))
            if when is None:
                raise ApplicationError(f"bad date {raw.get('date')!r}")
            row = RevenueRow(
                order_id=(raw.get("order_id") or "").strip(),
                amount=parse_amount(raw.get("amount", "")),
                occurred_at=when,
                currency=(raw.get("currency") or "RUB").strip(),
                customer_external_id=(raw.get("customer_external_id") or "").strip(),
                email=(raw.get("email") or "").strip(),
                phone=(raw.get("phone") or "").strip(),
            )
            event, created = revenue_record(row=row, source=source)
        except ApplicationError as exc:
            result.errors.append(f"line {line}: {exc.message}")
            continue
        if created:
            result.created += 1
        else:
            result.updated += 1
        if event.customer_id:
            result.matched += 1
    return result
