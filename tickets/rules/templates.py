"""Auto-reply templates: {customer_name}, {ticket_id}, {channel}, {expected_at}."""

from __future__ import annotations

import string
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from tickets.rules import context as providers


class _Vars(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def expected_at_text(at: datetime | None) -> str:
    if at is None:
        return ""
    local = timezone.localtime(at, timezone=timezone.get_default_timezone())
    return local.strftime("%d.%m.%Y %H:%M") + f" ({settings.TIME_ZONE})"


def render(template: str, *, ticket, now: datetime | None = None) -> str:
    values = _Vars(
        customer_name=ticket.customer.name or "",
        ticket_id=str(ticket.pk),
        channel=ticket.channel.name,
    )
    if "{expected_at}" in template:
        at = providers.next_business_open(ticket=ticket, at=now or timezone.now())
        values["expected_at"] = expected_at_text(at)
    try:
        return string.Formatter().vformat(template, (), values)
    except (ValueError, IndexError, AttributeError, KeyError):
        return template  # a stray brace in the admin's text: send it as written
