"""Prometheus collector of the intake: journal rows by channel kind and status."""

from __future__ import annotations

from django.db.models import Count, Min
from django.utils import timezone

from channels_in.models import EventStatus, InboundEvent
from helpdesk.prometheus import Family


def collect() -> list[Family]:
    by_status = Family(
        "helpdesk_inbound_events_total",
        "counter",
        "Webhook deliveries journaled, by channel kind and status "
        "(received = waiting, processed, ignored, failed).",
    )
    rows = (
        InboundEvent.objects.values("channel__kind", "status")
        .annotate(n=Count("id"))
        .order_by("channel__kind", "status")
    )
    for row in rows:
        by_status.add(row["n"], kind=row["channel__kind"], status=row["status"])
    # Waiting rows through the (status, received_at) index: how old is the oldest?
    oldest = InboundEvent.objects.filter(status=EventStatus.RECEIVED).aggregate(
        at=Min("received_at")
    )["at"]
    age = Family(
        "helpdesk_inbound_oldest_waiting_seconds",
        "gauge",
        "Age of the oldest journaled delivery not yet processed (0 when none waits).",
    ).add(max((timezone.now() - oldest).total_seconds(), 0) if oldest else 0)
    return [by_status, age]
