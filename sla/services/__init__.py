"""Every SLA write: clocks moved by ticket events, the sweep, notifications, escalations."""

from sla.services.clocks import (
    sla_calendar_recompute,
    sla_clock_pause,
    sla_clock_recompute,
    sla_clock_resume,
    sla_clock_start,
    sla_clock_stop,
    sla_on_agent_reply,
    sla_on_customer_message,
    sla_on_status_changed,
    sla_on_ticket_created,
    sla_on_ticket_updated,
    sla_policy_recompute,
    sla_ticket_due_sync,
    sla_watch_reset,
)
from sla.services.notify import sla_escalation_apply, sla_manager_emails, sla_notify
from sla.services.sweep import SweepResult, sla_sweep

__all__ = [
    "SweepResult",
    "sla_calendar_recompute",
    "sla_clock_pause",
    "sla_clock_recompute",
    "sla_clock_resume",
    "sla_clock_start",
    "sla_clock_stop",
    "sla_escalation_apply",
    "sla_manager_emails",
    "sla_notify",
    "sla_on_agent_reply",
    "sla_on_customer_message",
    "sla_on_status_changed",
    "sla_on_ticket_created",
    "sla_on_ticket_updated",
    "sla_policy_recompute",
    "sla_sweep",
    "sla_ticket_due_sync",
    "sla_watch_reset",
]
