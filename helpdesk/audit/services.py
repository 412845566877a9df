"""Writing to the audit log. The only write path: `audit_record`."""

from __future__ import annotations

from typing import Any

from django.db import models

from helpdesk.audit.models import AuditEntry


def _client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    action: str,
    actor=None,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
    request=None,
) -> AuditEntry:
    """Append one entry. `action` is a dotted verb such as "channel.changed",
    "customer.exported" or "customer.erased"; `data` holds what changed (never secrets)."""
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    entry = AuditEntry(
        action=action,
        actor=actor,
        actor_repr=actor.get_username() if actor is not None else "",
        data=data or {},
        ip=_client_ip(request),
    )
    if target is not None:
        entry.target_type = target._meta.label_lower
        entry.target_id = str(target.pk)
        entry.target_repr = str(target)[:300]
    entry.save()
    return entry
