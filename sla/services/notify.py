"""What happens after the sweep recorded an SLA event: emails and escalation actions.

Runs in the `sla.notify` task. Each event is claimed once (`done_at`), so a retried task
never mails twice or raises the priority twice.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from helpdesk.realtime import publish_on_commit
from sla.models import EscalationAction, EscalationStep, SlaEvent, SlaEventKind, StuckStatusRule
from sla.services.sweep import ACTOR, MANAGERS_GROUP
from tickets import dispatch
from tickets.models import ACTIVE_STATUSES, PRIORITY_RANK, AuthorKind, Tag, Ticket
from tickets.services import (
    ticket_assign,
    ticket_event_record,
    ticket_reply,
    ticket_set_priority,
    ticket_set_tags,
    ticket_set_team,
)

logger = logging.getLogger(__name__)

OVERDUE_TAG = "overdue"
MANAGER_ROLE = "manager"

SUBJECTS = {
    SlaEventKind.WARNING: "[SLA] #{id}: {metric} due soon",
    SlaEventKind.BREACHED: "[SLA] #{id}: {metric} target breached",
    SlaEventKind.ESCALATED: "[SLA] #{id}: {metric} escalated (level {level})",
    SlaEventKind.STUCK: "[SLA] #{id}: stuck in {status}",
}

# Handled events other apps hear of (outbound webhooks), once each, with the event's claim.
_DISPATCHED = {
    SlaEventKind.WARNING: dispatch.SLA_WARNING,
    SlaEventKind.BREACHED: dispatch.SLA_BREACHED,
}


def sla_manager_emails() -> list[str]:
    users = get_user_model().objects.filter(is_active=True, groups__name=MANAGER_ROLE)
    return sorted(set(users.exclude(email="").values_list("email", flat=True)))


def _mail(event: SlaEvent, ticket: Ticket, recipients: list[str]) -> None:
    if not recipients:
        return
    subject = SUBJECTS[event.kind].format(
        id=ticket.pk,
        metric=event.metric.replace("_", " ") or "ticket",
        level=event.level,
        status=event.data.get("status", ticket.status),
    )
    lines = [f"Ticket #{ticket.pk}: {ticket.subject}", f"Status: {ticket.status}"]
    if event.data.get("due_at"):
        lines.append(f"Due: {event.data['due_at']}")
    send_mail(
        subject,
        "\n".join(lines),
        settings.DEFAULT_FROM_EMAIL,
        recipients,
        fail_silently=True,
    )


def _raise_priority(ticket: Ticket) -> None:
    rank = PRIORITY_RANK.get(ticket.priority, 2)
    if rank == 0:
        return
    higher = next(p for p, r in PRIORITY_RANK.items() if r == rank - 1)
    ticket_set_priority(ticket=ticket, priority=higher, actor_label=ACTOR)


def _reassign(ticket: Ticket, step: EscalationStep) -> None:
    ticket_set_team(ticket=ticket, team=step.team, actor_label=ACTOR)
    assignee = ticket.assignee
    if assignee is not None and not step.team.agents.filter(user=assignee).exists():
        ticket_assign(ticket=ticket, assignee=None, actor_label=ACTOR)


def sla_escalation_apply(*, event: SlaEvent, ticket: Ticket) -> list[str]:
    """Run the policy's steps for this level, in order; returns the actions taken."""
    clock = event.clock
    if clock is None or clock.policy_id is None or ticket.status not in ACTIVE_STATUSES:
        return []
    steps = EscalationStep.objects.filter(
        Q(metric="") | Q(metric=event.metric), policy_id=clock.policy_id, level=event.level
    ).select_related("tag", "team")
    done = []
    for step in steps:
        ticket.refresh_from_db()
        if step.action == EscalationAction.NOTIFY_MANAGERS:
            _mail(event, ticket, sla_manager_emails())
            publish_on_commit(
                event={
                    "type": "sla.escalated",
                    "items": [
                        {"ticket_id": ticket.pk, "metric": event.metric, "level": event.level}
                    ],
                },
                groups=[MANAGERS_GROUP],
            )
        elif step.action == EscalationAction.RAISE_PRIORITY:
            _raise_priority(ticket)
        elif step.action == EscalationAction.ADD_TAG:
            tag = step.tag or Tag.objects.get_or_create(name=OVERDUE_TAG)[0]
            ticket_set_tags(ticket=ticket, add=[tag], actor_label=ACTOR)
        elif step.action == EscalationAction.REASSIGN_TEAM and step.team is not None:
            _reassign(ticket, step)
        done.append(step.action)
    return done


def _stuck(event: SlaEvent, ticket: Ticket) -> None:
    rule = StuckStatusRule.objects.filter(pk=event.data.get("rule_id")).first()
    if rule and rule.notify_customer and rule.customer_message and ticket.status != "closed":
        ticket_reply(
            ticket=ticket, author=None, text=rule.customer_message, author_kind=AuthorKind.BOT
        )


def sla_notify(*, event_ids: list[int]) -> int:
    """Mail the people concerned and run escalation actions; each event at most once."""
    handled = 0
    events = SlaEvent.objects.filter(pk__in=event_ids, done_at__isnull=True).select_related(
        "ticket__assignee", "clock"
    )
    managers: list[str] | None = None
    for event in events:
        with transaction.atomic():
            claimed = SlaEvent.objects.filter(pk=event.pk, done_at__isnull=True).update(
                done_at=timezone.now()
            )
            if not claimed:
                continue
            ticket = event.ticket
            data = {"metric": event.metric, "level": event.level, **event.data}
            if event.kind == SlaEventKind.ESCALATED:
                data["actions"] = sla_escalation_apply(event=event, ticket=ticket)
                SlaEvent.objects.filter(pk=event.pk).update(data={**event.data, **data})
            ticket_event_record(
                ticket=ticket, kind=f"sla_{event.kind}", actor_label=ACTOR, data=data
            )
            if event.kind in _DISPATCHED:
                dispatch.emit(
                    _DISPATCHED[event.kind],
                    ticket=ticket,
                    metric=event.metric,
                    due_at=event.data.get("due_at"),
                    level=event.level,
                )
            if event.kind != SlaEventKind.ESCALATED:
                if event.kind == SlaEventKind.STUCK:
                    _stuck(event, ticket)
                assignee = ticket.assignee
                if assignee is not None and assignee.email:
                    _mail(event, ticket, [assignee.email])
                else:  # nobody owns the ticket: the managers hear of it
                    if managers is None:
                        managers = sla_manager_emails()
                    _mail(event, ticket, managers)
            handled += 1
    return handled
