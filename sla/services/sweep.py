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
from django.db.models import QuerySet
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
from tickets.models import Ticket
from tickets.services import ticket_event_record

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
    """Store the claimed events, log them on the tickets, publish live, enqueue the rest."""
    if not events:
        return
    SlaEvent.objects.bulk_create(events)
    live: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for event in events:
        ticket_event_record(
            ticket=Ticket(pk=event.ticket_id),
            kind=f"sla_{event.kind}",
            actor_label=ACTOR,
            data={"metric": event.metric, "level": event.level, **event.data},
        )
        item = {"ticket_id": event.ticket_id, "metric": event.metric, "level": event.level}
        item.update(due_at=event.data.get("due_at"))
        managers = event.kind != SlaEventKind.WARNING
        for group in _groups(assignees.get(event.ticket_id), managers=managers):
            live[(f"sla.{event.kind}", group)].append(item)
    by_type: dict[str, dict[str, list]] = defaultdict(dict)
    for (event_type, group), items in live.items():
        by_type[event_type][group] = items
    for event_type, groups in by_type.items():
        for group, items in groups.items():
            publish_on_commit(event={"type": event_type, "items": items}, groups=[group])
    ids = [e.pk for e in events]
    result.event_ids.extend(ids)
    transaction.on_commit(lambda: _enqueue_notify(ids))


def _enqueue_notify(event_ids: list[int]) -> None:
    from sla.tasks import sla_notify

    sla_notify.delay(event_ids=event_ids)


def _clock_chunk(qs: QuerySet, order: str) -> list[SlaClock]:
    qs = qs.select_related("ticket").only(
        "id", "ticket_id", "metric", "cycle", "policy_id", "due_at", "breached_at",
        "warn_at", "escalation_level", "ticket__id", "ticket__assignee_id",
    )  # fmt: skip
    return list(_lock(qs.order_by(order))[:CHUNK])


def _sweep_breaches(now: datetime, result: SweepResult, levels: dict) -> None:
    for _ in range(MAX_CHUNKS):
        with transaction.atomic():
            chunk = _clock_chunk(
                SlaClock.objects.filter(status=ClockStatus.RUNNING, due_at__lte=now), "due_at"
            )
            _levels({c.policy_id for c in chunk if c.policy_id}, levels)
            events, assignees = [], {}
            for clock in chunk:
                level, minutes = _next_level(levels, clock, 0)
                next_at = clock.due_at + timedelta(minutes=minutes) if level else None
                claimed = SlaClock.objects.filter(
                    pk=clock.pk, status=ClockStatus.RUNNING, due_at__lte=now
                ).update(
                    status=ClockStatus.BREACHED,
                    breached_at=clock.due_at,
                    next_escalation_at=next_at,
                    escalation_level=0,
                    updated_at=now,
                )
                if claimed:
                    data = {"due_at": clock.due_at.isoformat()}
                    events.append(_new_event(clock, SlaEventKind.BREACHED, now, data))
                    assignees[clock.ticket_id] = clock.ticket.assignee_id
            _record(events, assignees, result)
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
            events, assignees = [], {}
            for clock in chunk:
                claimed = SlaClock.objects.filter(
                    pk=clock.pk, status=ClockStatus.RUNNING, warned_at__isnull=True
                ).update(warned_at=now, updated_at=now)
                if claimed and clock.due_at > now:
                    data = {"due_at": clock.due_at.isoformat()}
                    events.append(_new_event(clock, SlaEventKind.WARNING, now, data))
                    assignees[clock.ticket_id] = clock.ticket.assignee_id
            _record(events, assignees, result)
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
            events, assignees = [], {}
            for clock in chunk:
                level, _minutes = _next_level(levels, clock, clock.escalation_level)
                if level is None:  # the policy lost its steps meanwhile
                    SlaClock.objects.filter(pk=clock.pk).update(next_escalation_at=None)
                    continue
                after, after_minutes = _next_level(levels, clock, level)
                next_at = clock.breached_at + timedelta(minutes=after_minutes) if after else None
                claimed = SlaClock.objects.filter(
                    pk=clock.pk,
                    status=ClockStatus.BREACHED,
                    escalation_level=clock.escalation_level,
                    next_escalation_at__lte=now,
                ).update(escalation_level=level, next_escalation_at=next_at, updated_at=now)
                if claimed:
                    events.append(_new_event(clock, SlaEventKind.ESCALATED, now, {}, level))
                    assignees[clock.ticket_id] = clock.ticket.assignee_id
            _record(events, assignees, result)
            result.escalations += len(events)
        if len(chunk) < CHUNK:
            return


def _sweep_stuck(now: datetime, result: SweepResult) -> None:
    for _ in range(MAX_CHUNKS):
        with transaction.atomic():
            due = SlaStatusWatch.objects.filter(alert_at__lte=now, alerted_at__isnull=True)
            chunk = list(_lock(due.select_related("ticket").order_by("alert_at"))[:CHUNK])
            events, assignees = [], {}
            for watch in chunk:
                claimed = SlaStatusWatch.objects.filter(
                    pk=watch.pk, alerted_at__isnull=True, since=watch.since
                ).update(alerted_at=now)
                if not claimed:
                    continue
                data = {
                    "status": watch.status,
                    "since": watch.since.isoformat(),
                    "rule_id": watch.rule_id,
                }
                events.append(
                    SlaEvent(
                        ticket_id=watch.ticket_id,
                        kind=SlaEventKind.STUCK,
                        key=f"stuck:{watch.ticket_id}:{watch.status}:{watch.since.timestamp()}",
                        data=data,
                        created_at=now,
                    )
                )
                assignees[watch.ticket_id] = watch.ticket.assignee_id
            _record(events, assignees, result)
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
