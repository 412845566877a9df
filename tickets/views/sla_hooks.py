"""The page layer's window on SLA data (sla/ sits beside tickets; only views may read it).

`sla_badges_for` turns sla.selectors.sla_badges into what a badge shows; `sla_state_condition`
lets the queue filter by SLA without tickets knowing about sla (it sorts by the
denormalised Ticket.sla_due_at that sla keeps).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from sla.selectors import BadgeState, sla_badges, sla_ticket_clocks, sla_ticket_ids
from tickets.selectors import ticket_overdue_condition

SLA_STATES = ("overdue", "at_risk")


def _duration(seconds: int) -> str:
    minutes = max(0, int(seconds)) // 60
    if minutes < 60:
        return _("%(m)d min") % {"m": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 48 and minutes:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    if hours < 48:
        return _("%(h)d h") % {"h": hours}
    return _("%(d)d d") % {"d": hours // 24}


def badge_display(badge) -> dict:
    """Label, colour class and title of one badge (sla.selectors.Badge)."""
    metric = {
        "first_response": _("First response"),
        "next_response": _("Next response"),
        "resolution": _("Resolution"),
    }.get(badge.metric, badge.metric)
    if badge.state == BadgeState.BREACHED:
        label, css = "−" + _duration(badge.overdue_seconds or 0), "sla-breached"
        title = _("%(metric)s overdue") % {"metric": metric}
    elif badge.state in (BadgeState.RUNNING, BadgeState.WARNING):
        label = _duration(badge.seconds_left or 0)
        css = "sla-warning" if badge.state == BadgeState.WARNING else "sla-running"
        title = _("%(metric)s due in %(time)s") % {"metric": metric, "time": label}
    elif badge.state == BadgeState.PAUSED:
        label, css = _("paused"), "sla-paused"
        title = _("%(metric)s clock paused") % {"metric": metric}
    else:
        label, css = _("met"), "sla-met"
        title = _("%(metric)s target met") % {"metric": metric}
    return {"label": label, "css": css, "title": title, "state": badge.state}


def sla_badges_for(ticket_ids: list[int]) -> dict[int, dict]:
    """Badge display per ticket id, one query for the whole page; {} for tickets without SLA."""
    if not ticket_ids:
        return {}
    return {pk: badge_display(b) for pk, b in sla_badges(ticket_ids=ticket_ids).items()}


def sla_clocks_for(ticket_id: int) -> list[dict]:
    return [badge_display(b) for b in sla_ticket_clocks(ticket_id=ticket_id)]


def sla_state_condition(state: str) -> Q:
    """Tickets whose SLA is in `state` ("overdue" or "at_risk")."""
    if state == "overdue":
        return ticket_overdue_condition()
    return Q(pk__in=sla_ticket_ids(state=state))
