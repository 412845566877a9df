"""The sweep: warnings, breaches, escalation levels and stuck-status alerts that are due.

Each phase reads only rows that are due through a partial or (status, due_at) index, in
chunks, each chunk in its own transaction. Rows are claimed with a conditional UPDATE, so a
second sweep (or a sweep run twice) finds nothing to do; on PostgreSQL the chunk is also
read with SELECT ... FOR UPDATE SKIP LOCKED so two beats share the work instead of waiting.
Notifications and escalation actions are fanned out to the `sla.notify` task after commit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from helpdesk.realtime import publish_on_commit
from sla.models import (
    ClockStatus,
    EscalationStep,
    SlaClock,
    SlaEvent,
    SlaEventKind,
    SlaStatusWatch,
)

CHUNK = 500
MAX_CHUNKS = 200  # per phase and sweep; the next sweep carries on
MANAGERS_GROUP = "managers"
ACTOR = "sla"


@dataclass
class SweepResult:
    warnings: int = 0
    breaches: int = 0
    escalations: int = 0
    stuck: int = 0
    event_ids: list[int] = field(default_factory=list)


def _lock(qs: QuerySet) -> QuerySet:
    if connection.features.has_select_for_update_skip_locked:
        return qs.select_for_update(skip_locked=True, of=("self",))
    return qs


def _levels(policy_ids: set[int], cache: dict) -> None:
    """policy id -> {metric or "": [(level, after_minutes)]}, loaded once per sweep."""
    missing = policy_ids - cache.keys()
    if not missing:
        return
    for pid in missing:
        cache[pid] = defaultdict(dict)
    for step in EscalationStep.objects.filter(policy_id__in=missing):
        levels = cache[step.policy_id][step.metric]
        levels[step.level] = min(levels.get(step.level, step.after_minutes), step.after_minutes)


def _next_level(
    cache: dict, clock: SlaClock, after_level: int
) -> tuple[int, int] | tuple[None, None]:
    """The next escalation level above `after_level` for this clock's policy and metric."""
    if clock.policy_id is None:
        return None, None
    by_metric = cache[clock.policy_id]
    merged: dict[int, int] = dict(by_metric.get("", {}))
    for level, minutes in by_metric.get(clock.metric, {}).items():
        merged[level] = min(merged.get(level, minutes), minutes)
    above = sorted(lv for lv in merged if lv > after_level)
    if not above:
        return None, None
    return above[0], merged[above[0]]


def _new_event(clock: SlaClock, kind: str, now: datetime, data: dict, level: int = 0) -> SlaEvent:
    return SlaEvent(
        ticket_id=clock.ticket_id,
        clock_id=clock.pk,
        metric=clock.metric,
        cycle=clock.cycle,
        kind=kind,
        level=level,
        key=f"{clock.pk}:{clock.cycle}:{kind}:{level}",
        data=data,
        created_at=now,
    )


def _groups(assignee_id: int | None, *, managers: bool) -> list[str]:
    groups = [f"agent.{assignee_id}"] if assignee_id else []
    if managers or not assignee_id:
        groups.append(MANAGERS_GROUP)
    return groups


def _record(events: list[SlaEvent], assignees: dict[int, int | None], result: SweepResult) -> None:
    """Store the claimed events, publish them live, and hand them to `sla.notify`.

    The worker writes the ticket's event log, mails and runs escalation actions, so the sweep
    itself writes only SLA rows and its query count follows chunks, not tickets.
    """
    if not events:
        return
    SlaEvent.objects.bulk_create(events)
    live: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for event in events:
        item = {"ticket_id": event.ticket_id, "metric": event.metric, "level": event.level}
        item.update(due_at=event.data.get("due_at"))
        managers = event.kind != SlaEventKind.WARNING
        for group in _groups(assignees.get(event.ticket_id), managers=managers):
            live[(f"sla.{event.kind}", group)].append(item)
    for (event_type, group), items in live.items():
        publish_on_commit(event={"type": event_type, "items": items}, groups=[group])
    ids = [e.pk for e in events]
    result.event_ids.extend(ids)
    transaction.on_commit(lambda: _enqueue_notify(ids))


def _enqueue_notify(event_ids: list[int]) -> None:
    from sla.tasks import sla_notify

    sla_notify.delay(event_ids=event_ids)


def _claim(model, rows: list, key, values, still_due) -> list:
    """Write the new state of the rows this sweep owns; return the rows it won.

    Rows are grouped by `key(row)`; `values(key)` gives the UPDATE for a group (expressions
    such as F("due_at") allowed). On PostgreSQL the chunk was read FOR UPDATE SKIP LOCKED, so
    every row in it is ours and still due: one UPDATE per group. Elsewhere (SQLite, one
    process) each row gets a conditional UPDATE and only rows still due are won.
    """
    if not rows:
        return []
    if connection.features.has_select_for_update_skip_locked:
        groups: dict = defaultdict(list)
        for row in rows:
            groups[key(row)].append(row.pk)
        for group, ids in groups.items():
            model.objects.filter(pk__in=ids).update(**values(group))
        return rows
    return [
        row
        for row in rows
        if model.objects.filter(still_due(row), pk=row.pk).update(**values(key(row)))
    ]


def _after(field: str, minutes: int | None):
    return F(field) + timedelta(minutes=minutes) if minutes is not None else None


def _clock_chunk(qs: QuerySet, order: str) -> list[SlaClock]:
    qs = qs.select_related("ticket").only(
        "id", "ticket_id", "metric", "cycle", "policy_id", "due_at", "breached_at", "status",
        "warn_at", "warned_at", "escalation_level", "next_escalation_at", "updated_at",
        "ticket__id", "ticket__assignee_id",
    )  # fmt: skip
    return list(_lock(qs.order_by(order))[:CHUNK])


def _sweep_breaches(now: datetime, result: SweepResult, levels: dict) -> None:
    for _ in range(MAX_CHUNKS):
        with transaction.atomic():
            chunk = _clock_chunk(
                SlaClock.objects.filter(status=ClockStatus.RUNNING, due_at__lte=now), "due_at"
            )
            _levels({c.policy_id for c in chunk if c.policy_id}, levels)
            won = _claim(
                SlaClock,
                chunk,
                lambda c: _next_level(levels, c, 0)[1],
                lambda minutes: {
                    "status": ClockStatus.BREACHED,
                    "breached_at": F("due_at"),
                    "next_escalation_at": _after("due_at", minutes),
                    "escalation_level": 0,
                    "updated_at": now,
                },
                lambda c: Q(status=ClockStatus.RUNNING, due_at__lte=now),
            )
            events = [
                _new_event(c, SlaEventKind.BREACHED, now, {"due_at": c.due_at.isoformat()})
                for c in won
            ]
            _record(events, {c.ticket_id: c.ticket.assignee_id for c in won}, result)
            result.breaches += len(events)
        if len(chunk) < CHUNK:
            return


def _sweep_warnings(now: datetime, result: SweepResult) -> None:
    for _ in range(MAX_CHUNKS):
        with transaction.atomic():
            due = SlaClock.objects.filter(
                status=ClockStatus.RUNNING, warned_at__isnull=True, warn_at__lte=now
            )
            chunk = _clock_chunk(due, "warn_at")
            won = _claim(
                SlaClock,
                chunk,
                lambda c: (),
                lambda _key: {"warned_at": now, "updated_at": now},
                lambda c: Q(status=ClockStatus.RUNNING, warned_at__isnull=True),
            )
            # Already past due (a breach is recorded instead): mark warned, say nothing.
            events = [
                _new_event(c, SlaEventKind.WARNING, now, {"due_at": c.due_at.isoformat()})
                for c in won
                if c.due_at > now
            ]
            _record(events, {c.ticket_id: c.ticket.assignee_id for c in won}, result)
            result.warnings += len(events)
        if len(chunk) < CHUNK:
            return


def _sweep_escalations(now: datetime, result: SweepResult, levels: dict) -> None:
    for _ in range(MAX_CHUNKS):
        with transaction.atomic():
            due = SlaClock.objects.filter(
                status=ClockStatus.BREACHED,
                next_escalation_at__isnull=False,
                next_escalation_at__lte=now,
            )
            chunk = _clock_chunk(due, "next_escalation_at")
            _levels({c.policy_id for c in chunk if c.policy_id}, levels)
            reached = {}
            for clock in chunk:
                previous = clock.escalation_level
                level, _minutes = _next_level(levels, clock, previous)
                after, after_minutes = _next_level(levels, clock, level) if level else (None, None)
                # level None: the policy lost its steps meanwhile; stop looking at this clock.
                reached[clock.pk] = (previous, level, after_minutes if after else None)
            won = _claim(
                SlaClock,
                chunk,
                lambda c, r=reached: (r[c.pk][1] or r[c.pk][0], r[c.pk][2]),
                lambda key: {
                    "escalation_level": key[0],
                    "next_escalation_at": _after("breached_at", key[1]),
                    "updated_at": now,
                },
                lambda c, r=reached: Q(
                    status=ClockStatus.BREACHED,
                    escalation_level=r[c.pk][0],
                    next_escalation_at__lte=now,
                ),
            )
            events = [
                _new_event(c, SlaEventKind.ESCALATED, now, {}, reached[c.pk][1])
                for c in won
                if reached[c.pk][1]
            ]
            _record(events, {c.ticket_id: c.ticket.assignee_id for c in won}, result)
            result.escalations += len(events)
        if len(chunk) < CHUNK:
            return


def _sweep_stuck(now: datetime, result: SweepResult) -> None:
    for _ in range(MAX_CHUNKS):
        with transaction.atomic():
            due = SlaStatusWatch.objects.filter(alert_at__lte=now, alerted_at__isnull=True)
            chunk = list(_lock(due.select_related("ticket").order_by("alert_at"))[:CHUNK])
            won = _claim(
                SlaStatusWatch,
                chunk,
                lambda w: (),
                lambda _key: {"alerted_at": now},
                lambda w: Q(alerted_at__isnull=True, since=w.since),
            )
            events = [
                SlaEvent(
                    ticket_id=w.ticket_id,
                    kind=SlaEventKind.STUCK,
                    key=f"stuck:{w.ticket_id}:{w.status}:{w.since.timestamp()}",
                    data={"status": w.status, "since": w.since.isoformat(), "rule_id": w.rule_id},
                    created_at=now,
                )
                for w in won
            ]
            _record(events, {w.ticket_id: w.ticket.assignee_id for w in won}, result)
            result.stuck += len(events)
        if len(chunk) < CHUNK:
            return


def sla_sweep(*, now: datetime | None = None) -> SweepResult:
    """One pass over everything due. Safe to run twice and from two beats at once."""
    now = now or timezone.now()
    result = SweepResult()
    levels: dict = {}
    _sweep_breaches(now, result, levels)
    _sweep_warnings(now, result)
    _sweep_escalations(now, result, levels)
    _sweep_stuck(now, result)
    return result
