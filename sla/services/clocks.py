"""Starting, pausing, resuming and stopping SLA clocks as tickets change.

Every function runs inside the caller's transaction (the ticket service that emitted the
event holds the ticket's row lock), so clock writes commit or roll back with the change.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Min, Subquery
from django.utils import timezone

from helpdesk.scoped_cache import scoped_peek, scoped_put
from sla.business_time import Calendar, add_seconds, seconds_between
from sla.models import (
    ClockStatus,
    Metric,
    SlaClock,
    SlaEvent,
    SlaEventKind,
    SlaPolicy,
    SlaStatusWatch,
)
from sla.selectors import (
    OPEN_STATUSES,
    sla_calendar_for_policy,
    sla_policy_for_ticket,
    sla_stuck_rule,
)
from tickets.models import ACTIVE_STATUSES, Status, Ticket
from tickets.services import ticket_event_record, ticket_sla_due_set
from tickets.services.message_facts import ticket_is_new

ACTOR = "sla"


def _calendar(clock: SlaClock, cache: dict | None = None) -> Calendar | None:
    if not clock.business or clock.policy is None:
        return None
    if cache is None:
        return sla_calendar_for_policy(policy=clock.policy)
    if clock.policy_id not in cache:
        cache[clock.policy_id] = sla_calendar_for_policy(policy=clock.policy)
    return cache[clock.policy_id]


def _schedule(clock: SlaClock, calendar: Calendar | None, warn_percent: int) -> None:
    """Set due_at and warn_at of a running clock from its elapsed time."""
    since = clock.running_since
    clock.due_at = add_seconds(since, clock.target_seconds - clock.elapsed_seconds, calendar)
    warn_after = clock.target_seconds * warn_percent / 100 - clock.elapsed_seconds
    clock.warn_at = add_seconds(since, max(warn_after, 0), calendar)


def _warn_percent(clock: SlaClock) -> int:
    return clock.policy.warn_percent if clock.policy else 75


_UNKNOWN = object()


def _known_key(ticket_id: int) -> tuple:
    return ("intake", "sla_clocks", ticket_id)


def _clocks_known_forget(ticket_id: int) -> None:
    """A clock row was added or deleted: what the scope knows of them is out of date."""
    scoped_put(_known_key(ticket_id), None)


def sla_clock_start(
    *,
    ticket: Ticket,
    metric: str,
    policy: SlaPolicy | None,
    at: datetime,
    clock=_UNKNOWN,
    save: bool = True,
) -> SlaClock | None:
    """Start the clock, or start a new cycle of it; None when the policy sets no target.

    `clock`: the ticket's current clock of this metric (or None) when the caller has read it
    already; otherwise it is read here. `save=False`: a new clock, for the caller to insert
    (with others, in one statement)."""
    minutes = policy.target_minutes(metric) if policy else None
    if clock is _UNKNOWN:
        clock = SlaClock.objects.filter(ticket=ticket, metric=metric).first()
    if minutes is None:
        if clock and clock.status in OPEN_STATUSES:
            clock.delete()
            _clocks_known_forget(ticket.pk)
        return None
    if clock is None:
        clock = SlaClock(ticket=ticket, metric=metric, cycle=0)
    clock.cycle += 1
    clock.policy = policy
    clock.status = ClockStatus.RUNNING
    clock.business = bool(policy.business_hours and policy.calendar_id)
    clock.target_seconds = minutes * 60
    clock.elapsed_seconds = 0
    clock.started_at = clock.running_since = at
    clock.warned_at = clock.paused_at = clock.breached_at = clock.stopped_at = None
    clock.paused_seconds = 0
    clock.escalation_level = 0
    clock.next_escalation_at = None
    clock.updated_at = timezone.now()
    _schedule(clock, sla_calendar_for_policy(policy=policy), policy.warn_percent)
    if save:
        added = clock.pk is None
        clock.save()
        if added:
            _clocks_known_forget(ticket.pk)
    return clock


def sla_clock_pause(*, clock: SlaClock, at: datetime) -> SlaClock:
    if clock.status != ClockStatus.RUNNING:
        return clock
    clock.elapsed_seconds += max(seconds_between(clock.running_since, at, _calendar(clock)), 0)
    clock.status = ClockStatus.PAUSED
    clock.paused_at = at
    clock.running_since = clock.due_at = clock.warn_at = None
    clock.updated_at = timezone.now()
    clock.save()
    return clock


def sla_clock_resume(*, clock: SlaClock, at: datetime) -> SlaClock:
    if clock.status != ClockStatus.PAUSED:
        return clock
    clock.paused_seconds += max((at - clock.paused_at).total_seconds(), 0)
    clock.status = ClockStatus.RUNNING
    clock.paused_at = None
    clock.running_since = at
    _schedule(clock, _calendar(clock), _warn_percent(clock))
    clock.updated_at = timezone.now()
    clock.save()
    return clock


def _event(clock: SlaClock, kind: str, data: dict, *, level: int = 0) -> SlaEvent:
    return SlaEvent.objects.create(
        ticket_id=clock.ticket_id,
        clock=clock,
        metric=clock.metric,
        cycle=clock.cycle,
        kind=kind,
        level=level,
        key=f"{clock.pk}:{clock.cycle}:{kind}:{level}",
        data=data,
        done_at=timezone.now(),
    )


def sla_clock_stop(*, clock: SlaClock, at: datetime) -> SlaClock:
    """The target was reached (reply, solve): met in time, or breached if it was late."""
    if clock.stopped_at is not None or clock.status == ClockStatus.MET:
        return clock
    data = {"metric": clock.metric, "cycle": clock.cycle, "target_seconds": clock.target_seconds}
    if clock.status == ClockStatus.BREACHED:
        clock.stopped_at = at
        clock.next_escalation_at = None
        data["overdue_seconds"] = int((at - clock.breached_at).total_seconds())
        _event(clock, SlaEventKind.ANSWERED_LATE, data)
    else:
        if clock.status == ClockStatus.RUNNING:
            spent = seconds_between(clock.running_since, at, _calendar(clock))
            clock.elapsed_seconds += max(spent, 0)
        elif clock.status == ClockStatus.PAUSED:
            clock.paused_seconds += max((at - clock.paused_at).total_seconds(), 0)
        late = clock.elapsed_seconds > clock.target_seconds
        data["elapsed_seconds"] = round(clock.elapsed_seconds)
        clock.stopped_at = at
        clock.running_since = clock.paused_at = clock.warn_at = None
        ticket = Ticket(pk=clock.ticket_id)
        if late:  # answered after due_at, before the sweep noticed: a breach, but no alarms
            clock.status = ClockStatus.BREACHED
            clock.breached_at = clock.due_at or at
            data["overdue_seconds"] = int((at - clock.breached_at).total_seconds())
            _event(clock, SlaEventKind.BREACHED, data)
            ticket_event_record(ticket=ticket, kind="sla_breached", actor_label=ACTOR, data=data)
        else:
            clock.status = ClockStatus.MET
            _event(clock, SlaEventKind.MET, data)
            ticket_event_record(ticket=ticket, kind="sla_met", actor_label=ACTOR, data=data)
    clock.updated_at = timezone.now()
    clock.save()
    return clock


def sla_clock_recompute(
    *, clock: SlaClock, policy: SlaPolicy, at: datetime, cache: dict | None = None
) -> SlaClock | None:
    """Carry an open clock over to a changed (or different) policy, keeping time spent.

    `cache` (policy id -> calendar) saves reloading calendars when moving many clocks."""
    if clock.status not in OPEN_STATUSES:
        return clock
    minutes = policy.target_minutes(clock.metric)
    if minutes is None:
        ticket_id = clock.ticket_id
        clock.delete()
        _clocks_known_forget(ticket_id)
        return None
    if clock.status == ClockStatus.RUNNING:
        spent = seconds_between(clock.running_since, at, _calendar(clock, cache))
        clock.elapsed_seconds += max(spent, 0)
        clock.running_since = at
    clock.policy = policy
    clock.business = bool(policy.business_hours and policy.calendar_id)
    clock.target_seconds = minutes * 60
    if clock.status == ClockStatus.RUNNING:
        _schedule(clock, _calendar(clock, cache), policy.warn_percent)
    clock.updated_at = timezone.now()
    clock.save()
    return clock


def _clocks(ticket: Ticket) -> dict[str, SlaClock]:
    known = scoped_peek(_known_key(ticket.pk))
    if known is not None:
        # Started in this transaction (a new ticket's): nobody else sees them to lock; the
        # objects are the ones every change in this scope saved.
        return dict(known)
    # Locked: a sweep that is breaching one of them finishes first, and we read its result.
    clocks = (
        SlaClock.objects.filter(ticket=ticket)
        .select_related("policy__calendar")
        .select_for_update(of=("self",))
    )
    return {c.metric: c for c in clocks}


def _answer_open(clock: SlaClock | None) -> bool:
    """Still waiting for the answer (running, paused, or breached and not yet answered)."""
    return clock is not None and clock.stopped_at is None and clock.status != ClockStatus.MET


def sla_watch_reset(
    *,
    ticket: Ticket,
    policy: SlaPolicy | None,
    at: datetime,
    force: bool = False,
    watch=_UNKNOWN,
) -> None:
    """Remember when the ticket entered its status, and when to call it stuck.

    The caller holds the ticket's row lock (every ticket service does), so no other
    transaction writes this ticket's watch meanwhile: a plain insert or update will do.
    `watch`: the ticket's watch (or None) when the caller knows it."""
    if watch is _UNKNOWN:
        watch = SlaStatusWatch.objects.filter(ticket=ticket).first()
    if watch and watch.status == ticket.status and not force:
        return
    rule = None
    if policy is not None and ticket.status in ACTIVE_STATUSES:
        rule = sla_stuck_rule(policy=policy, status=ticket.status)
    values = {
        "status": ticket.status,
        "since": at if not (watch and watch.status == ticket.status) else watch.since,
        "rule": rule,
        "alert_at": at + timedelta(minutes=rule.after_minutes) if rule else None,
        "alerted_at": None,
    }
    if watch is None:
        SlaStatusWatch.objects.create(ticket=ticket, **values)
        return
    for name, value in values.items():
        setattr(watch, name, value)
    watch.save(update_fields=list(values))


# --- reactions to ticket events (called by sla.receivers) -----------------------------------


def sla_on_ticket_created(*, ticket: Ticket, at: datetime) -> None:
    policy = sla_policy_for_ticket(ticket=ticket)
    if ticket_is_new(ticket_id=ticket.pk):
        # Created by the intake in this scope: no clocks, no watch yet. Both clocks go in
        # one INSERT, and the scope keeps them for the subscribers that follow.
        started = [
            sla_clock_start(ticket=ticket, metric=m, policy=policy, at=at, clock=None, save=False)
            for m in (Metric.FIRST_RESPONSE, Metric.RESOLUTION)
        ]
        clocks = SlaClock.objects.bulk_create([c for c in started if c is not None])
        scoped_put(_known_key(ticket.pk), {c.metric: c for c in clocks})
        sla_watch_reset(ticket=ticket, policy=policy, at=at, watch=None)
        return
    existing = {c.metric: c for c in SlaClock.objects.filter(ticket=ticket)}
    for metric in (Metric.FIRST_RESPONSE, Metric.RESOLUTION):
        sla_clock_start(
            ticket=ticket, metric=metric, policy=policy, at=at, clock=existing.get(metric)
        )
    sla_watch_reset(ticket=ticket, policy=policy, at=at)


def sla_on_customer_message(*, ticket: Ticket, at: datetime, previous_status: str) -> bool:
    """A customer wrote: resume or restart the resolution clock, wait for the next answer.
    Returns whether any clock started or resumed (the ticket's SLA due time may move)."""
    now = timezone.now()
    moved = False
    clocks = _clocks(ticket)
    resolution = clocks.get(Metric.RESOLUTION)
    policy = None
    if previous_status == Status.SOLVED or resolution is None:
        policy = sla_policy_for_ticket(ticket=ticket)
    if previous_status == Status.SOLVED:
        sla_clock_start(
            ticket=ticket, metric=Metric.RESOLUTION, policy=policy, at=now, clock=resolution
        )
        moved = True
    elif resolution is None:  # a ticket from before the SLA engine, or no resolution target
        sla_clock_start(ticket=ticket, metric=Metric.RESOLUTION, policy=policy, at=at, clock=None)
        moved = True
    elif resolution is not None and resolution.status == ClockStatus.PAUSED:
        sla_clock_resume(clock=resolution, at=now)
        moved = True
    # Next response: only after a first human answer, and only if not already waiting.
    if ticket.first_response_at is not None and not _answer_open(clocks.get(Metric.NEXT_RESPONSE)):
        if policy is None:
            policy = sla_policy_for_ticket(ticket=ticket)
        sla_clock_start(
            ticket=ticket,
            metric=Metric.NEXT_RESPONSE,
            policy=policy,
            at=at,
            clock=clocks.get(Metric.NEXT_RESPONSE),
        )
        moved = True
    if previous_status != ticket.status:
        sla_watch_reset(ticket=ticket, policy=policy or _any_policy(clocks), at=now)
    return moved


def _any_policy(clocks: dict[str, SlaClock]) -> SlaPolicy | None:
    return next((c.policy for c in clocks.values() if c.policy is not None), None)


def sla_on_agent_reply(*, ticket: Ticket, at: datetime) -> None:
    clocks = _clocks(ticket)
    for metric in (Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE):
        if _answer_open(clocks.get(metric)):
            sla_clock_stop(clock=clocks[metric], at=at)
    sla_watch_reset(ticket=ticket, policy=_any_policy(clocks), at=at)


def sla_on_status_changed(*, ticket: Ticket, previous_status: str) -> None:
    now = timezone.now()
    clocks = _clocks(ticket)
    resolution = clocks.get(Metric.RESOLUTION)
    policy = _any_policy(clocks)
    status = ticket.status
    if status in (Status.PENDING, Status.ON_HOLD):
        if resolution is not None:
            sla_clock_pause(clock=resolution, at=now)
    elif status in (Status.NEW, Status.OPEN):
        if previous_status in (Status.SOLVED, Status.CLOSED):
            policy = sla_policy_for_ticket(ticket=ticket)
            sla_clock_start(ticket=ticket, metric=Metric.RESOLUTION, policy=policy, at=now)
        elif resolution is not None:
            sla_clock_resume(clock=resolution, at=now)
    elif previous_status not in (Status.SOLVED, Status.CLOSED):
        # Solving fulfils every target still waiting (a reply is no longer owed).
        for clock in clocks.values():
            if _answer_open(clock):
                sla_clock_stop(clock=clock, at=now)
    sla_watch_reset(ticket=ticket, policy=policy, at=now)


def sla_on_ticket_updated(*, ticket: Ticket, fields: list[str]) -> bool:
    """Priority, team or tags changed: the ticket may fall under another policy.
    Returns whether any clock moved."""
    if not {"priority", "team", "tags"} & set(fields) or ticket.status not in ACTIVE_STATUSES:
        return False
    policy = sla_policy_for_ticket(ticket=ticket)
    if policy is None:
        return False
    now = timezone.now()
    moved = False
    for clock in _clocks(ticket).values():
        if clock.policy_id != policy.pk:
            sla_clock_recompute(clock=clock, policy=policy, at=now)
            moved = True
    return moved


def sla_ticket_due_sync(*, ticket_id: int) -> None:
    """Tell the ticket its nearest due time: running clocks, and breached ones still owed an
    answer (they are overdue, so they sort first in the queue)."""
    nearest = (
        SlaClock.objects.filter(
            ticket_id=ticket_id,
            status__in=[ClockStatus.RUNNING, ClockStatus.BREACHED],
            stopped_at__isnull=True,
        )
        .values("ticket_id")
        .annotate(due=Min("due_at"))
        .values("due")
    )
    ticket_sla_due_set(ticket_id=ticket_id, due_at=Subquery(nearest))  # one UPDATE


def sla_policy_recompute(*, policy: SlaPolicy, at: datetime | None = None) -> int:
    """A policy (or its calendar) changed: move its open clocks to the new targets."""
    at = at or timezone.now()
    policy = SlaPolicy.objects.select_related("calendar").get(pk=policy.pk)
    count, cache = 0, {}
    clocks = SlaClock.objects.filter(policy=policy, status__in=OPEN_STATUSES)
    ticket_ids = set()
    for clock in clocks.iterator(chunk_size=500):
        clock.policy = policy
        sla_clock_recompute(clock=clock, policy=policy, at=at, cache=cache)
        ticket_ids.add(clock.ticket_id)
        count += 1
    for ticket_id in ticket_ids:
        sla_ticket_due_sync(ticket_id=ticket_id)
    return count


def sla_calendar_recompute(*, calendar_id: int, at: datetime | None = None) -> int:
    """A calendar's hours changed: recompute the open clocks of every policy using it."""
    policies = SlaPolicy.objects.filter(calendar_id=calendar_id, business_hours=True)
    return sum(sla_policy_recompute(policy=p, at=at) for p in policies)
