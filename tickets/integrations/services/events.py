"""Turning a domain event into one delivery row per interested subscription."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from helpdesk.scoped_cache import scoped_forget, scoped_get
from tickets.integrations.models import (
    DeliveryStatus,
    EventType,
    WebhookDelivery,
    WebhookSubscription,
)
from tickets.integrations.protocol import render_body

# A new delivery is sent by the task queued at commit; the retry sweep takes it over only if
# that task has not claimed it within this grace period (a lost message, a dead worker).
PENDING_GRACE_SECONDS = 60
SCOPE_KEY = ("integrations", "subscriptions")


def _active_subscriptions() -> list[tuple[int, tuple[str, ...]]]:
    rows = WebhookSubscription.objects.filter(is_active=True).values_list("id", "event_types")
    return [(pk, tuple(events or ())) for pk, events in rows]


def subscriptions_for(event: str) -> list[int]:
    """Ids of the active subscriptions to `event`. Read once per unit of work (one inbound
    message: helpdesk.scoped_cache) and filtered here, not in SQL, so SQLite and PostgreSQL
    behave the same; the services forget it whenever a subscription changes."""
    active = scoped_get(SCOPE_KEY, _active_subscriptions)
    return [pk for pk, events in active if event in events]


def subscriptions_changed() -> None:
    scoped_forget(SCOPE_KEY[0])


def webhook_event_enqueue(
    *, event: str, data: Callable[[], dict], ticket_id: int | None = None
) -> list[WebhookDelivery]:
    """Record the event for every subscriber, in bulk, inside the caller's transaction.

    `data` is called only when somebody subscribes. The sends are queued when the
    transaction commits, so a rolled-back change sends nothing.
    """
    subscriptions = subscriptions_for(event)
    if not subscriptions:
        return []
    payload = data()
    now = timezone.now()
    deliveries = []
    for subscription_id in subscriptions:
        delivery_id = uuid.uuid4()
        deliveries.append(
            WebhookDelivery(
                id=delivery_id,
                subscription_id=subscription_id,
                event=event,
                body=render_body(
                    delivery_id=str(delivery_id), event=event, created_at=now, data=payload
                ),
                ticket_id=ticket_id,
                status=DeliveryStatus.PENDING,
                next_attempt_at=now + timedelta(seconds=PENDING_GRACE_SECONDS),
                created_at=now,
            )
        )
    with transaction.atomic():
        WebhookDelivery.objects.bulk_create(deliveries)
        ids = [str(d.pk) for d in deliveries]
        transaction.on_commit(lambda: enqueue_sends(ids))
    return deliveries


def enqueue_sends(delivery_ids: list[str]) -> None:
    from tickets.integrations.tasks import webhook_deliver

    for delivery_id in delivery_ids:
        webhook_deliver.delay(delivery_id=delivery_id)


def webhook_updates_drop_for_new_ticket(*, ticket_id: int) -> int:
    """Drop `ticket.updated` deliveries recorded for a ticket in the transaction that is
    creating it (rules setting priority, team, tags during intake): `ticket.created`,
    recorded after them, already carries that state, and must not be preceded by updates.

    Only called on the ticket-created event, so every such row is uncommitted and unsent
    (its queued send finds nothing to claim).
    """
    if not subscriptions_for(EventType.TICKET_UPDATED):
        return 0
    deleted, _ = WebhookDelivery.objects.filter(
        ticket_id=ticket_id, event=EventType.TICKET_UPDATED, status=DeliveryStatus.PENDING
    ).delete()
    return deleted
