"""Reads: policy matching, calendars, and the SLA badges and filters the operator UI uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from helpdesk.scoped_cache import scoped_get
from sla.business_time import Calendar
from sla.models import BusinessCalendar, ClockStatus, SlaClock, SlaPolicy, StuckStatusRule
from tickets.models import Ticket

OPEN_STATUSES = [ClockStatus.RUNNING, ClockStatus.PAUSED]


@dataclass(frozen=True)
class TicketFacts:
    priority: str
    channel_kind: str
    team_id: int | None
    tag_ids: frozenset[int]


def _policies_load() -> list[SlaPolicy]:
    return list(
        SlaPolicy.objects.filter(is_active=True)
        .select_related("calendar")
        .prefetch_related("teams", "tags")
        .order_by("position", "id")
    )


def sla_policies_active() -> list[SlaPolicy]:
    """Active policies in order, with calendars, teams and tags; read once per scoped unit
    of work (helpdesk.scoped_cache; sla.receivers forgets them when an admin edits)."""
    return scoped_get(("sla", "policies"), _policies_load)


def sla_stuck_rule(*, policy: SlaPolicy, status: str) -> StuckStatusRule | None:
    """The policy's "stuck in status" rule for a status (its rules read once per scope)."""

    def load() -> dict[str, StuckStatusRule]:
        rules: dict[str, StuckStatusRule] = {}
        for rule in StuckStatusRule.objects.filter(policy_id=policy.pk).order_by("pk"):
            rules.setdefault(rule.status, rule)
        return rules

    return scoped_get(("sla", "stuck_rules", policy.pk), load).get(status)


def sla_policy_matches(*, policy: SlaPolicy, facts: TicketFacts) -> bool:
    """All given conditions hold; an empty condition matches anything."""
    if policy.priorities and facts.priority not in policy.priorities:
        return False
    if policy.channel_kinds and facts.channel_kind not in policy.channel_kinds:
        return False
    team_ids = {t.pk for t in policy.teams.all()}
    if team_ids and facts.team_id not in team_ids:
        return False
    tag_ids = {t.pk for t in policy.tags.all()}
    return not (tag_ids and not (tag_ids & facts.tag_ids))


def sla_policy_match(*, facts: TicketFacts, policies: list[SlaPolicy]) -> SlaPolicy | None:
    return next((p for p in policies if sla_policy_matches(policy=p, facts=facts)), None)


def ticket_facts(*, ticket: Ticket) -> TicketFacts:
    from tickets.services.message_facts import ticket_tag_ids_known

    # The tags as the intake or a ticket change has just written them, else read.
    tag_ids = ticket_tag_ids_known(ticket_id=ticket.pk)
    if tag_ids is None:
        tag_ids = frozenset(ticket.tags.values_list("pk", flat=True))
    return TicketFacts(
        priority=ticket.priority,
        channel_kind=ticket.channel.kind,
        team_id=ticket.team_id,
        tag_ids=tag_ids,
    )


def sla_policy_for_ticket(*, ticket: Ticket) -> SlaPolicy | None:
    policies = sla_policies_active()
    if not policies:
        return None
    return sla_policy_match(facts=ticket_facts(ticket=ticket), policies=policies)


def sla_calendar_load(*, calendar: BusinessCalendar) -> Calendar:
    weekly: dict[int, list] = {}
    for iv in calendar.intervals.all():
        weekly.setdefault(iv.weekday, []).append((iv.start, iv.end))
    closed, special = set(), {}
    for day in calendar.days.all():
        if day.start is None:
            closed.add(day.date)
        else:
            special.setdefault(day.date, []).append((day.start, day.end))
    return Calendar(
        tz=calendar.time_zone,
        weekly={k: tuple(v) for k, v in weekly.items()},
        closed=frozenset(closed),
        special={k: tuple(v) for k, v in special.items()},
    )


def sla_calendar_for_policy(*, policy: SlaPolicy | None) -> Calendar | None:
    """The business calendar the policy counts in, or None for calendar time."""
    if policy is None or not policy.business_hours or policy.calendar_id is None:
        return None
    return scoped_get(
        ("sla", "calendar", policy.calendar_id), lambda: sla_calendar_load(calendar=policy.calendar)
    )


def sla_default_calendar() -> Calendar | None:
    """The first business calendar (the rules' business hours when no policy has one)."""

    def load() -> Calendar | None:
        default = BusinessCalendar.objects.order_by("pk").first()
        return sla_calendar_load(calendar=default) if default else None

    return scoped_get(("sla", "calendar", "default"), load)


# --- what the operator UI shows -------------------------------------------------------------


class BadgeState:
    RUNNING = "running"
    WARNING = "warning"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"


@dataclass(frozen=True)
class Badge:
    ticket_id: int
    metric: str  # the clock the badge is about: the most urgent one
    state: str  # BadgeState
    due_at: datetime | None
    seconds_left: int | None  # running/warning: until due_at; paused: remaining target time
    overdue_seconds: int | None  # breached: how late (until the answer, or until now)
    stopped_at: datetime | None


_URGENCY = {
    BadgeState.BREACHED: 0,
    BadgeState.WARNING: 1,
    BadgeState.RUNNING: 2,
    BadgeState.PAUSED: 3,
    BadgeState.MET: 4,
}


def _badge(clock: SlaClock, now: datetime) -> Badge:
    due = clock.due_at
    overdue = left = None
    if clock.status == ClockStatus.BREACHED or (
        clock.status == ClockStatus.RUNNING and due is not None and due <= now
    ):
        state = BadgeState.BREACHED
        overdue = int(((clock.stopped_at or now) - (clock.breached_at or due)).total_seconds())
    elif clock.status == ClockStatus.RUNNING:
        warned = clock.warned_at is not None or (clock.warn_at and clock.warn_at <= now)
        state = BadgeState.WARNING if warned else BadgeState.RUNNING
        left = int((due - now).total_seconds())
    elif clock.status == ClockStatus.PAUSED:
        state = BadgeState.PAUSED
        left = int(clock.target_seconds - clock.elapsed_seconds)
    else:
        state = BadgeState.MET
    return Badge(clock.ticket_id, clock.metric, state, due, left, overdue, clock.stopped_at)


def _rank(badge: Badge) -> tuple:
    stopped = badge.stopped_at is not None
    return (stopped, _URGENCY[badge.state], badge.due_at or timezone.now())


def sla_badges(*, ticket_ids: list[int], now: datetime | None = None) -> dict[int, Badge]:
    """One badge per ticket (its most urgent clock), in one query. Tickets without clocks are
    left out. Open breaches rank first, then warnings, running (earliest due first), paused,
    and finished ones."""
    now = now or timezone.now()
    best: dict[int, Badge] = {}
    for clock in SlaClock.objects.filter(ticket_id__in=ticket_ids):
        badge = _badge(clock, now)
        if clock.ticket_id not in best or _rank(badge) < _rank(best[clock.ticket_id]):
            best[clock.ticket_id] = badge
    return best


def sla_ticket_clocks(*, ticket_id: int, now: datetime | None = None) -> list[Badge]:
    """Every clock of one ticket as a badge, for the ticket page (one query)."""
    now = now or timezone.now()
    clocks = SlaClock.objects.filter(ticket_id=ticket_id).order_by("metric")
    return [_badge(c, now) for c in clocks]


def sla_ticket_ids(*, state: str, now: datetime | None = None) -> QuerySet:
    """Ticket ids for the queue's SLA views, to use as `Ticket.objects.filter(pk__in=...)`.

    "overdue": a clock is past due and not answered yet; "at_risk": a running clock passed its
    warning point but is not due yet.
    """
    now = now or timezone.now()
    if state == "overdue":
        cond = Q(status=ClockStatus.BREACHED, stopped_at__isnull=True) | Q(
            status=ClockStatus.RUNNING, due_at__lte=now
        )
    elif state == "at_risk":
        cond = Q(status=ClockStatus.RUNNING, warn_at__lte=now, due_at__gt=now)
    else:
        raise ValueError(f"unknown SLA state {state!r}")
    return SlaClock.objects.filter(cond).values("ticket_id")
