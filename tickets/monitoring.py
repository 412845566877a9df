"""Prometheus collector of the queue and of outbound deliveries.

Queue counts read only active tickets (the partial indexes over new/open/pending/on_hold);
deliveries count outbound customer-facing messages by delivery status.
"""

from __future__ import annotations

from django.db.models import Count
from django.utils import timezone

from helpdesk.prometheus import Family
from tickets.models import ACTIVE_STATUSES, Direction, Message, Ticket


def collect() -> list[Family]:
    active = Ticket.objects.filter(status__in=ACTIVE_STATUSES)
    by_status = Family("helpdesk_tickets_open", "gauge", "Active tickets by status.")
    counts = dict(
        active.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    for status in ACTIVE_STATUSES:
        by_status.add(counts.get(status, 0), status=status)
    unassigned = Family(
        "helpdesk_tickets_unassigned", "gauge", "Active tickets with no assignee."
    ).add(active.filter(assignee__isnull=True).count())
    overdue = Family(
        "helpdesk_tickets_overdue", "gauge", "Active tickets past their SLA due time."
    ).add(active.filter(sla_due_at__lte=timezone.now()).count())
    deliveries = Family(
        "helpdesk_outbound_messages",
        "gauge",
        "Outbound public messages by delivery status (queued, sending, retrying, sent, "
        "delivered, read, failed).",
    )
    rows = (
        Message.objects.filter(direction=Direction.OUTBOUND, is_internal=False)
        .order_by()
        .values_list("delivery_status")
        .annotate(n=Count("id"))
        .values_list("delivery_status", "n")
    )
    for status, n in sorted(rows):
        deliveries.add(n, status=status)
    return [by_status, unassigned, overdue, deliveries]
