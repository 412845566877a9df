"""Business hours for the rules engine (tickets.rules.context), from SLA calendars.

Wired by `SlaConfig.ready()`. The calendar is the one of the
ticket's SLA policy, else the first business calendar ("Office hours" from the data
migration); without any calendar the rules keep their own Mon-Fri 09:00-18:00 fallback.
"""

from __future__ import annotations

from datetime import datetime

from sla import business_time
from sla.selectors import sla_calendar_for_policy, sla_default_calendar, sla_policy_for_ticket


def _calendar(ticket) -> business_time.Calendar | None:
    if getattr(ticket, "pk", None):
        calendar = sla_calendar_for_policy(policy=sla_policy_for_ticket(ticket=ticket))
        if calendar is not None:
            return calendar
    return sla_default_calendar()


def in_business_hours(*, ticket, at: datetime) -> bool:
    calendar = _calendar(ticket)
    if calendar is None:
        from tickets.rules.context import fallback_in_business_hours

        return fallback_in_business_hours(at)
    start, _end = next(business_time.open_spans(calendar, at))
    return start <= at


def next_business_open(*, ticket, at: datetime) -> datetime | None:
    calendar = _calendar(ticket)
    if calendar is None:
        from tickets.rules.context import fallback_next_business_open

        return fallback_next_business_open(at)
    start, _end = next(business_time.open_spans(calendar, at))
    return start


def connect() -> None:
    from tickets.rules.context import register_context_provider

    register_context_provider("in_business_hours", in_business_hours)
    register_context_provider("next_business_open", next_business_open)
