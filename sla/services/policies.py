"""Writes to SLA policies from the API (the Django admin edits them too)."""

from __future__ import annotations

from sla.models import SlaPolicy
from tickets.services.config import config_delete, config_save


def sla_policy_save(
    *, policy: SlaPolicy | None = None, values: dict, teams=None, tags=None, actor=None
) -> SlaPolicy:
    """Create or change a policy; SlaPolicy.clean checks priorities, kinds and the calendar.
    New targets apply to clocks started afterwards; running clocks keep their deadlines."""
    m2m = {}
    if teams is not None:
        m2m["teams"] = teams
    if tags is not None:
        m2m["tags"] = tags
    return config_save(instance=policy or SlaPolicy(), values=values, m2m=m2m, actor=actor)


def sla_policy_delete(*, policy: SlaPolicy, actor=None) -> None:
    config_delete(instance=policy, actor=actor)
