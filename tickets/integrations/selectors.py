"""Reads of the integrations app."""

from __future__ import annotations

from django.db.models import QuerySet

from tickets.integrations.models import WebhookDelivery, WebhookSubscription


def subscription_list() -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.select_related("created_by").order_by("pk")


def subscription_deliveries(*, subscription_id: int) -> QuerySet[WebhookDelivery]:
    """The delivery log of one subscription, newest first (served by an index)."""
    return WebhookDelivery.objects.filter(subscription_id=subscription_id).order_by(
        "-created_at", "-pk"
    )
