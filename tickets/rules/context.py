"""Facts other apps supply to the rules without `tickets` importing them.

An app registers a provider in its `AppConfig.ready()`:

    from tickets.rules.context import register_context_provider
    register_context_provider("in_business_hours", fn)   # fn(*, ticket, at) -> bool
    register_context_provider("next_business_open", fn)  # fn(*, ticket, at) -> datetime | None

`sla` is meant to register both from its business calendars. Without a provider the
fallback is a plain office week: Monday to Friday, 09:00 to 18:00 in settings.TIME_ZONE,
no holidays.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

_providers: dict[str, Callable[..., Any]] = {}

OPEN, CLOSE = time(9), time(18)


def register_context_provider(name: str, fn: Callable[..., Any]) -> None:
    _providers[name] = fn


def unregister_context_provider(name: str) -> None:
    _providers.pop(name, None)


def provider(name: str) -> Callable[..., Any] | None:
    return _providers.get(name)


def _local(at: datetime) -> datetime:
    return at.astimezone(ZoneInfo(settings.TIME_ZONE))


def fallback_in_business_hours(at: datetime) -> bool:
    local = _local(at)
    return local.weekday() < 5 and OPEN <= local.time() < CLOSE


def fallback_next_business_open(at: datetime) -> datetime:
    local = _local(at)
    if fallback_in_business_hours(at):
        return at
    day = local.date() if local.time() < OPEN else local.date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, OPEN, tzinfo=local.tzinfo)


def in_business_hours(*, ticket, at: datetime) -> bool:
    fn = provider("in_business_hours")
    return bool(fn(ticket=ticket, at=at)) if fn else fallback_in_business_hours(at)


def next_business_open(*, ticket, at: datetime) -> datetime | None:
    fn = provider("next_business_open")
    return fn(ticket=ticket, at=at) if fn else fallback_next_business_open(at)
