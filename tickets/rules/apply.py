"""Loading rules, building the context from the database, carrying out actions.

`rules_apply(trigger=..., ticket=..., message=...)` is what the intake subscribers call.
Every change goes through the ordinary ticket services with actor_label "rule:<id>", so
each applied action lands in the ticket's event log with the rule that did it.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from helpdesk.realtime import publish_on_commit
from tickets.automation.models import ChannelSettings, Rule, RuleFiring, Trigger
from tickets.models import (
    ACTIVE_STATUSES,
    PRIORITY_RANK,
    Message,
    Tag,
    Team,
    Ticket,
    TicketEvent,
)
from tickets.rules import context as providers
from tickets.rules.engine import Action, Context, RuleSpec, rules_evaluate
from tickets.rules.templates import render
from tickets.services.events import ticket_event_record, ticket_groups
from tickets.services.tickets import (
    ticket_assign,
    ticket_set_priority,
    ticket_set_status,
    ticket_set_tags,
    ticket_set_team,
)

# --- loading, with a per-process cache checked against a one-row version query -------------


@dataclass(frozen=True)
class LoadedRules:
    version: tuple
    by_trigger: dict[str, list[RuleSpec]]
    used: dict[str, frozenset[str]]  # condition types each trigger's rules use


_cache: dict[str, LoadedRules] = {}
_cache_lock = threading.Lock()


def rules_cache_clear() -> None:
    with _cache_lock:
        _cache.clear()


def _spec(rule: Rule) -> RuleSpec:
    return RuleSpec(
        id=rule.pk,
        name=rule.name,
        conditions=tuple(c for c in rule.conditions if isinstance(c, dict)),
        actions=tuple(a for a in rule.actions if isinstance(a, dict)),
        match=rule.match,
        stop_processing=rule.stop_processing,
    )


def rules_load(*, trigger: str) -> tuple[list[RuleSpec], frozenset[str]]:
    """Active rules for a trigger, in order, and the condition types they use."""
    agg = Rule.objects.aggregate(
        n=Count("id"), a=Count("id", filter=Q(is_active=True)), m=Max("id"), v=Max("updated_at")
    )
    version = (agg["n"], agg["a"], agg["m"], agg["v"])
    loaded = _cache.get("rules")
    if loaded is None or loaded.version != version:
        by_trigger: dict[str, list[RuleSpec]] = {t: [] for t in Trigger.values}
        for rule in Rule.objects.filter(is_active=True).order_by("position", "id"):
            by_trigger.setdefault(rule.trigger, []).append(_spec(rule))
        used = {
            t: frozenset(c.get("type", "") for s in specs for c in s.conditions)
            for t, specs in by_trigger.items()
        }
        loaded = LoadedRules(version=version, by_trigger=by_trigger, used=used)
        with _cache_lock:
            _cache["rules"] = loaded
    return loaded.by_trigger.get(trigger, []), loaded.used.get(trigger, frozenset())


# --- the context -----------------------------------------------------------------------------


def channel_settings(channel_id: int) -> ChannelSettings | None:
    return ChannelSettings.objects.filter(channel_id=channel_id).first()


def _status_since(ticket: Ticket) -> datetime:
    last = (
        TicketEvent.objects.filter(
            ticket=ticket, kind__in=["created", "status_changed", "reopened"]
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return max(last or ticket.created_at, ticket.created_at)


def context_build(
    *,
    ticket: Ticket,
    message: Message | None,
    trigger: str,
    used: frozenset[str] = frozenset(),
    now: datetime | None = None,
) -> Context:
    """The facts the rules look at; costly ones only when a rule uses them."""
    now = now or timezone.now()
    channel = ticket.channel
    settings_ = channel_settings(channel.pk) if "channel_purpose" in used else None
    customer = ticket.customer
    ctx = Context(
        text=(message.text if message is not None else "") or "",
        trigger=trigger,
        channel_id=channel.pk,
        channel_name=channel.name,
        channel_kind=channel.kind,
        channel_purpose=settings_.purpose if settings_ else "",
        customer_language=customer.language or "",
        priority=ticket.priority,
        status=ticket.status,
        team_id=ticket.team_id,
        assignee_id=ticket.assignee_id,
    )
    if ticket.team_id and "team" in used:
        ctx.team_name = Team.objects.filter(pk=ticket.team_id).values_list("name", flat=True)[0]
    if used & {"has_tag"}:
        ctx.tags = {n.lower() for n in ticket.tags.values_list("name", flat=True)}
    if "customer_repeat" in used:
        ctx.customer_is_repeat = (
            Ticket.objects.filter(customer_id=ticket.customer_id).exclude(pk=ticket.pk).exists()
        )
    if "customer_tag" in used:
        ctx.customer_tags = {
            n.lower()
            for n in Tag.objects.filter(tickets__customer_id=ticket.customer_id)
            .values_list("name", flat=True)
            .distinct()
        }
    if "business_hours" in used:
        ctx.in_business_hours = providers.in_business_hours(ticket=ticket, at=now)
    if "status_unchanged_for" in used:
        ctx.status_age_hours = (now - _status_since(ticket)).total_seconds() / 3600
    return ctx


# --- applying --------------------------------------------------------------------------------

_running: contextvars.ContextVar[int] = contextvars.ContextVar("automation_running", default=0)


@contextlib.contextmanager
def automation_running() -> Iterator[None]:
    """Ticket updates made by automation do not fire "ticket updated" rules again."""
    token = _running.set(_running.get() + 1)
    try:
        yield
    finally:
        _running.reset(token)


def is_automation_running() -> bool:
    return _running.get() > 0


def _label(action: Action) -> str:
    return f"rule:{action.rule_id}"


def _team(value) -> Team | None:
    value = str(value)
    qs = Team.objects.filter(pk=int(value)) if value.isdigit() else Team.objects.none()
    return qs.first() or Team.objects.filter(name__iexact=value).first()


def _tag(name: str, *, create: bool) -> Tag | None:
    tag = Tag.objects.filter(name__iexact=name).first()
    if tag is None and create:
        tag = Tag.objects.get_or_create(name=name[:60])[0]
    return tag


def _apply_tags(ticket: Ticket, actions: list[Action]) -> Ticket:
    add = [
        t for a in actions if a.type == "add_tag" if (t := _tag(str(a.params["tag"]), create=True))
    ]
    remove = [
        t
        for a in actions
        if a.type == "remove_tag"
        if (t := _tag(str(a.params["tag"]), create=False))
    ]
    return ticket_set_tags(ticket=ticket, add=add, remove=remove, actor_label=_label(actions[0]))


def _auto_reply(ticket: Ticket, action: Action) -> Ticket:
    from tickets.services.bot import bot_reply

    label = _label(action)
    if (
        action.params.get("once", True)
        and TicketEvent.objects.filter(
            ticket=ticket, kind="auto_replied", actor_label=label
        ).exists()
    ):
        return ticket
    text = render(action.params["text"], ticket=ticket)
    message = bot_reply(ticket=ticket, text=text)
    ticket_event_record(
        ticket=ticket, kind="auto_replied", actor_label=label, data={"message_id": message.pk}
    )
    return Ticket.objects.get(pk=ticket.pk)


def _assign(ticket: Ticket, action: Action) -> Ticket:
    from tickets.services.routing import ticket_route

    if "agent" in action.params:
        user = get_user_model().objects.filter(username=str(action.params["agent"])).first()
        if user is None:
            return ticket
        return ticket_assign(ticket=ticket, assignee=user, actor_label=_label(action))
    strategy = action.params.get("strategy", "auto")
    ticket_route(
        ticket=ticket,
        strategy=None if strategy == "auto" else strategy,
        actor_label=_label(action),
    )
    return Ticket.objects.get(pk=ticket.pk)


def _notify(ticket: Ticket, action: Action) -> Ticket:
    to = action.params.get("to", "team")
    text = render(str(action.params["text"]), ticket=ticket)
    ticket_event_record(
        ticket=ticket, kind="notified", actor_label=_label(action), data={"to": to, "text": text}
    )
    groups = [
        g
        for g in ticket_groups(ticket)
        if g.startswith({"team": "team.", "assignee": "agent."}.get(to, "queue"))
    ]
    publish_on_commit(
        event={"type": "notification", "ticket_id": ticket.pk, "text": text},
        groups=groups or ["queue"],
    )
    return ticket


def action_apply(*, ticket: Ticket, action: Action) -> Ticket:
    """Carry out one action through the services; returns the ticket as it now is."""
    p, label = action.params, _label(action)
    if action.type in ("add_tag", "remove_tag"):
        return _apply_tags(ticket, [action])
    if action.type == "set_priority":
        current, wanted = PRIORITY_RANK[ticket.priority], PRIORITY_RANK[p["priority"]]
        if p.get("only_raise") and wanted >= current:
            return ticket
        return ticket_set_priority(ticket=ticket, priority=p["priority"], actor_label=label)
    if action.type == "set_team":
        team = _team(p["team"])
        return ticket_set_team(ticket=ticket, team=team, actor_label=label) if team else ticket
    if action.type == "assign":
        return _assign(ticket, action)
    if action.type == "auto_reply":
        return _auto_reply(ticket, action)
    if action.type == "send_menu":
        from tickets.services.bot import menu_send

        settings_ = channel_settings(ticket.channel_id)
        if settings_ and settings_.menu:
            menu_send(ticket=ticket, menu=settings_.menu, actor_label=label)
        return Ticket.objects.get(pk=ticket.pk)
    if action.type == "set_status":
        return ticket_set_status(ticket=ticket, status=p["status"], actor_label=label)
    if action.type == "notify":
        return _notify(ticket, action)
    return ticket


def actions_apply(*, ticket: Ticket, actions: list[Action]) -> Ticket:
    """Apply in order; consecutive tag actions of one rule become one tag change."""
    i = 0
    while i < len(actions):
        action = actions[i]
        if action.type in ("add_tag", "remove_tag"):
            j = i
            while (
                j < len(actions)
                and actions[j].type in ("add_tag", "remove_tag")
                and actions[j].rule_id == action.rule_id
            ):
                j += 1
            ticket = _apply_tags(ticket, actions[i:j])
            i = j
            continue
        if ticket.status == "closed" and action.type != "notify":
            i += 1
            continue
        ticket = action_apply(ticket=ticket, action=action)
        i += 1
    return ticket


def rules_apply(*, trigger: str, ticket: Ticket, message: Message | None = None) -> Ticket:
    """Evaluate the active rules of `trigger` on the ticket and apply what matched."""
    specs, used = rules_load(trigger=trigger)
    if not specs:
        return ticket
    ctx = context_build(ticket=ticket, message=message, trigger=trigger, used=used)
    actions = rules_evaluate(specs, ctx)
    if not actions:
        return ticket
    with transaction.atomic(), automation_running():
        return actions_apply(ticket=ticket, actions=actions)


# --- time-based rules ----------------------------------------------------------------------


def _time_candidates(*, oldest: datetime, chunk: int):
    """Every active ticket old enough, read in primary-key chunks (keyset, no OFFSET)."""
    after = 0
    while True:
        rows = list(
            Ticket.objects.filter(status__in=ACTIVE_STATUSES, created_at__lte=oldest, pk__gt=after)
            .select_related("channel", "customer")
            .order_by("pk")[:chunk]
        )
        yield from rows
        if len(rows) < chunk:
            return
        after = rows[-1].pk


def rules_time_sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Run "time" rules over active tickets; each rule fires once per ticket and status
    period (a RuleFiring row). Returns how many rule firings happened."""
    now = now or timezone.now()
    specs, used = rules_load(trigger=Trigger.TIME)
    if not specs:
        return 0
    hours = [
        c.get("hours", 0)
        for s in specs
        for c in s.conditions
        if c.get("type") == "status_unchanged_for"
    ]
    oldest = now - timedelta(hours=min(hours)) if hours else now
    fired = 0
    for ticket in _time_candidates(oldest=oldest, chunk=limit):
        ctx = context_build(ticket=ticket, message=None, trigger=Trigger.TIME, used=used, now=now)
        since = _status_since(ticket)
        for spec in specs:
            actions = rules_evaluate([spec], ctx)
            if not actions:
                continue
            try:
                with transaction.atomic(), automation_running():
                    RuleFiring.objects.create(rule_id=spec.id, ticket=ticket, status_since=since)
                    ticket = actions_apply(ticket=ticket, actions=actions)
            except IntegrityError:
                continue  # already fired for this status period
            fired += 1
            if spec.stop_processing:
                break
    return fired
