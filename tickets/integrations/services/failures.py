"""Counting failures in a row per subscription, and disabling one that keeps failing."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce

from helpdesk.audit.services import audit_record
from helpdesk.roles import ADMIN
from tickets.integrations.models import WebhookSubscription
from tickets.integrations.services.events import subscriptions_changed

logger = logging.getLogger(__name__)


def subscription_success_record(*, subscription_id: int) -> None:
    """A 2xx answer ends the failure run (no write when there was none)."""
    WebhookSubscription.objects.filter(
        Q(consecutive_failures__gt=0) | Q(failing_since__isnull=False), pk=subscription_id
    ).update(consecutive_failures=0, failing_since=None)


def subscription_failure_record(*, subscription_id: int, now: datetime) -> bool:
    """Count one more failed attempt; disable the subscription when the limits are reached.

    Returns True when this call disabled it (then, and only then, admins are told).
    """
    WebhookSubscription.objects.filter(pk=subscription_id).update(
        consecutive_failures=F("consecutive_failures") + 1,
        failing_since=Coalesce(F("failing_since"), now),
    )
    min_failures = settings.OUTBOUND_WEBHOOK_DISABLE_AFTER_FAILURES
    min_hours = settings.OUTBOUND_WEBHOOK_DISABLE_AFTER_HOURS
    if min_failures <= 0 and min_hours <= 0:
        return False  # automatic disabling switched off
    due = WebhookSubscription.objects.filter(
        pk=subscription_id,
        is_active=True,
        consecutive_failures__gte=max(min_failures, 1),
        failing_since__lte=now - timedelta(hours=max(min_hours, 0)),
    )
    reason = "Every delivery attempt failed since {since} ({count} in a row); disabled."
    subscription = due.first()
    if subscription is None:
        return False
    text = reason.format(
        since=subscription.failing_since.isoformat(timespec="seconds"),
        count=subscription.consecutive_failures,
    )
    won = due.update(is_active=False, disabled_at=now, disabled_reason=text[:255], updated_at=now)
    if not won:  # another worker disabled it first and tells the admins
        return False
    subscriptions_changed()
    subscription.refresh_from_db()
    _notify_admins(subscription)
    return True


def admin_emails() -> list[str]:
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    users = users.filter(Q(is_superuser=True) | Q(groups__name=ADMIN))
    return sorted(set(users.values_list("email", flat=True)))


def _notify_admins(subscription: WebhookSubscription) -> None:
    audit_record(
        action="webhook.disabled",
        target=subscription,
        data={
            "url": subscription.url,
            "consecutive_failures": subscription.consecutive_failures,
            "failing_since": subscription.failing_since.isoformat(),
            "reason": subscription.disabled_reason,
        },
    )
    recipients = admin_emails()
    if not recipients:
        return
    lines = [
        f"The webhook subscription #{subscription.pk} ({subscription.url}) was disabled.",
        subscription.disabled_reason,
        "",
        "Events are no longer sent to it. Fix the receiving end, send a test ping, then",
        "enable the subscription again in the admin or through the API.",
    ]
    subject = f"[Webhooks] Subscription #{subscription.pk} disabled after repeated failures"
    body = "\n".join(lines)
    transaction.on_commit(
        lambda: send_mail(
            subject, body, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=True
        )
    )
    logger.warning("webhook subscription %s disabled: %s", subscription.pk, subscription.url)
