"""Creating, changing, rotating and removing webhook subscriptions (admins only)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from helpdesk.audit.services import audit_record
from helpdesk.exceptions import ApplicationError
from tickets.integrations.models import EventType, WebhookSubscription
from tickets.integrations.services.events import subscriptions_changed

EDITABLE = ("url", "description", "event_types", "is_active")


def secret_generate() -> str:
    return secrets.token_urlsafe(32)


def _clean_events(event_types: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(event_types))
    unknown = [e for e in chosen if e not in EventType.values]
    if unknown:
        raise ApplicationError(f"Unknown event types: {', '.join(map(str, unknown))}.")
    if not chosen:
        raise ApplicationError("Choose at least one event type.")
    return chosen


def _clean_url(url: str) -> str:
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        raise ApplicationError("Enter a valid http or https URL.") from exc
    return url


def webhook_subscription_create(
    *,
    url: str,
    event_types: Iterable[str],
    description: str = "",
    is_active: bool = True,
    created_by=None,
    request=None,
) -> WebhookSubscription:
    """A new subscription with a generated secret (the caller shows it once)."""
    now = timezone.now()
    with transaction.atomic():
        subscription = WebhookSubscription.objects.create(
            url=_clean_url(url),
            description=description,
            event_types=_clean_events(event_types),
            is_active=is_active,
            secret=secret_generate(),
            created_by=created_by,
            created_at=now,
            updated_at=now,
        )
        audit_record(
            action="webhook.created",
            actor=created_by,
            target=subscription,
            data={"url": subscription.url, "event_types": subscription.event_types},
            request=request,
        )
    subscriptions_changed()
    return subscription


def webhook_subscription_update(
    *, subscription: WebhookSubscription, actor=None, request=None, **changes
) -> WebhookSubscription:
    """Change url, description, event types or the active flag.

    Enabling a subscription that was disabled (by hand or automatically) starts a new
    failure count.
    """
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ApplicationError(f"Cannot change {', '.join(sorted(unknown))}.")
    if "url" in changes:
        changes["url"] = _clean_url(changes["url"])
    if "event_types" in changes:
        changes["event_types"] = _clean_events(changes["event_types"])
    with transaction.atomic():
        subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
        changed = [k for k, v in changes.items() if getattr(subscription, k) != v]
        if not changed:
            return subscription
        for name in changed:
            setattr(subscription, name, changes[name])
        fields = [*changed, "updated_at"]
        if changes.get("is_active") is True and "is_active" in changed:
            subscription.consecutive_failures = 0
            subscription.failing_since = None
            subscription.disabled_at = None
            subscription.disabled_reason = ""
            fields += ["consecutive_failures", "failing_since", "disabled_at", "disabled_reason"]
        subscription.updated_at = timezone.now()
        subscription.save(update_fields=fields)
        audit_record(
            action="webhook.changed",
            actor=actor,
            target=subscription,
            data={"fields": sorted(changed)},
            request=request,
        )
    subscriptions_changed()
    return subscription


def webhook_secret_rotate(
    *, subscription: WebhookSubscription, actor=None, request=None
) -> WebhookSubscription:
    """Replace the secret at once: every later attempt (retries too) is signed with the new
    one. The caller shows the new secret once."""
    now = timezone.now()
    with transaction.atomic():
        subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
        subscription.secret = secret_generate()
        subscription.secret_rotated_at = now
        subscription.updated_at = now
        subscription.save(update_fields=["secret", "secret_rotated_at", "updated_at"])
        audit_record(
            action="webhook.secret_rotated", actor=actor, target=subscription, request=request
        )
    return subscription


def webhook_subscription_delete(
    *, subscription: WebhookSubscription, actor=None, request=None
) -> None:
    """Remove the subscription and its delivery log; anything not yet sent is dropped."""
    with transaction.atomic():
        audit_record(
            action="webhook.deleted",
            actor=actor,
            target=subscription,
            data={"url": subscription.url},
            request=request,
        )
        subscription.delete()
    subscriptions_changed()
