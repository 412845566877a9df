"""Sending deliveries: claim, POST, record the outcome, schedule the retry.

A delivery is claimed with one conditional UPDATE before it is sent, so two workers (the
task queued at commit and the retry sweep, or two sweeps) never send it twice. The claim
holds a lease (`next_attempt_at` moved past the send's timeout): if the worker dies
mid-send, the retry sweep finds the lease expired and sends again. Nothing is lost to a
restart: everything still to send is in the table, and the sweep runs on beat.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from helpdesk.audit.services import audit_record
from helpdesk.exceptions import ApplicationError
from tickets.integrations import protocol, transport
from tickets.integrations.models import (
    IN_FLIGHT,
    PING,
    DeliveryStatus,
    WebhookDelivery,
    WebhookSubscription,
)
from tickets.integrations.services.events import PENDING_GRACE_SECONDS, enqueue_sends
from tickets.integrations.services.failures import (
    subscription_failure_record,
    subscription_success_record,
)

logger = logging.getLogger(__name__)


class DeliveryBusy(ApplicationError):
    status_code = 409
    code = "conflict"


# How long past the HTTP timeout a claim stays ours before the sweep may take it back.
LEASE_MARGIN_SECONDS = 60


def _claim(delivery_id, now) -> bool:
    """Take the delivery for one send. A new delivery is free to take; one retrying or
    being sent is free once its `next_attempt_at` (retry time or lease end) has passed."""
    lease_end = now + timedelta(
        seconds=settings.OUTBOUND_WEBHOOK_TIMEOUT_SECONDS + LEASE_MARGIN_SECONDS
    )
    free = Q(status=DeliveryStatus.PENDING) | Q(
        status__in=[DeliveryStatus.RETRYING, DeliveryStatus.SENDING], next_attempt_at__lte=now
    )
    return bool(
        WebhookDelivery.objects.filter(free, pk=delivery_id).update(
            status=DeliveryStatus.SENDING,
            attempts=F("attempts") + 1,
            last_attempt_at=now,
            next_attempt_at=lease_end,
        )
    )


def webhook_deliver(*, delivery_id: uuid.UUID | str) -> WebhookDelivery | None:
    """Send one delivery if it is ours to send; returns it with the outcome recorded."""
    now = timezone.now()
    if not _claim(delivery_id, now):
        return None
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    subscription = delivery.subscription
    if not subscription.is_active and delivery.event != PING:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        delivery.error = "The subscription is disabled; not sent."
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=delivery.status, next_attempt_at=None, error=delivery.error
        )
        return delivery
    body = delivery.body.encode()
    headers = protocol.request_headers(
        secret=subscription.secret, body=body, event=delivery.event, delivery_id=str(delivery.pk)
    )
    outcome = transport.post(
        url=subscription.url,
        body=body,
        headers=headers,
        timeout=settings.OUTBOUND_WEBHOOK_TIMEOUT_SECONDS,
    )
    return _record(delivery, outcome)


def _record(delivery: WebhookDelivery, outcome: transport.Outcome) -> WebhookDelivery:
    now = timezone.now()
    ok = outcome.status_code is not None and protocol.is_success(outcome.status_code)
    delivery.response_code = outcome.status_code
    delivery.response_body = outcome.response_excerpt
    delivery.duration_ms = outcome.duration_ms
    delivery.error = outcome.error
    if ok:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif delivery.attempts < settings.OUTBOUND_WEBHOOK_MAX_ATTEMPTS and delivery.event != PING:
        delivery.status = DeliveryStatus.RETRYING
        delivery.next_attempt_at = now + protocol.retry_delay(
            delivery.attempts,
            base=settings.OUTBOUND_WEBHOOK_RETRY_BASE_SECONDS,
            cap=settings.OUTBOUND_WEBHOOK_RETRY_MAX_SECONDS,
        )
    else:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
    fields = ["status", "next_attempt_at", "delivered_at", "response_code", "response_body"]
    fields += ["duration_ms", "error"]
    with transaction.atomic():
        # An UPDATE, not save(): the subscription may have been deleted during the send.
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            **{name: getattr(delivery, name) for name in fields}
        )
        if delivery.event != PING:  # a test ping says nothing about the event traffic
            if ok:
                subscription_success_record(subscription_id=delivery.subscription_id)
            else:
                subscription_failure_record(subscription_id=delivery.subscription_id, now=now)
    if not ok:
        logger.info(
            "webhook delivery %s to subscription %s failed (attempt %s): %s",
            delivery.pk,
            delivery.subscription_id,
            delivery.attempts,
            outcome.error,
        )
    return delivery


def webhook_due_ids(*, limit: int = 500) -> list[str]:
    """Deliveries the sweep should (re)send: retries due, leases expired, new ones whose
    queued task never ran."""
    ids = (
        WebhookDelivery.objects.filter(status__in=IN_FLIGHT, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return [str(pk) for pk in ids]


def webhook_redeliver(*, delivery: WebhookDelivery, actor=None, request=None) -> WebhookDelivery:
    """Send a finished delivery again: same id, same body, signed with the current secret.

    The attempt count starts over; the previous outcome is replaced by the new one.
    """
    with transaction.atomic():
        subscription = WebhookSubscription.objects.select_for_update().get(
            pk=delivery.subscription_id
        )
        if not subscription.is_active and delivery.event != PING:
            raise ApplicationError("Enable the subscription before redelivering.")
        reset = WebhookDelivery.objects.filter(
            pk=delivery.pk, status__in=[DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED]
        ).update(
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=timezone.now() + timedelta(seconds=PENDING_GRACE_SECONDS),
            redelivered_by=actor,
        )
        if not reset:
            raise DeliveryBusy("This delivery is still on its way; wait for it to finish.")
        audit_record(
            action="webhook.redelivered",
            actor=actor,
            target=subscription,
            data={"delivery": str(delivery.pk), "event": delivery.event},
            request=request,
        )
        ids = [str(delivery.pk)]
        transaction.on_commit(lambda: enqueue_sends(ids))
    delivery.refresh_from_db()
    return delivery


def webhook_ping(*, subscription: WebhookSubscription, actor=None) -> WebhookDelivery:
    """Queue a `ping` event to the subscription (also when it is disabled), once."""
    now = timezone.now()
    delivery_id = uuid.uuid4()
    data = {"subscription": {"id": subscription.pk, "url": subscription.url}}
    if actor is not None:
        data["requested_by"] = actor.get_username()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            id=delivery_id,
            subscription=subscription,
            event=PING,
            body=protocol.render_body(
                delivery_id=str(delivery_id), event=PING, created_at=now, data=data
            ),
            status=DeliveryStatus.PENDING,
            next_attempt_at=now + timedelta(seconds=PENDING_GRACE_SECONDS),
            created_at=now,
        )
        ids = [str(delivery.pk)]
        transaction.on_commit(lambda: enqueue_sends(ids))
    return delivery
