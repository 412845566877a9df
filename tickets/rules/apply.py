"""Loading rules, building the context from the database, carrying out actions.

The intake's subscribers (tickets.automation.receivers) run `rules_pass` on one
`TicketUpdate` per pass: the field changes of every matching rule (tags, priority, team,
status, assignee, and routing's pick) are written together, one UPDATE, one batch of
events each with actor_label "rule:<id>", one TICKET_UPDATED. `rules_apply` does the same
for a ticket on its own (ticket-updated and time rules). Replies, menus and notifications
go through their services, after the changes gathered before them are written.
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
from django.db.models import Count, Max, Q, Subquery
from django.db.models.functions import Lower
from django.utils import timezone

from helpdesk.realtime import publish_on_commit
from helpdesk.scoped_cache import scoped_active, scoped_cache, scoped_get, scoped_put
from tickets.automation.models import ChannelSettings, Rule, RuleFiring, Trigger
from tickets.models import (
    ACTIVE_STATUSES,
    Message,
    Tag,
    Team,
    Ticket,
    TicketEvent,
)
from tickets.rules import context as providers
from tickets.rules.engine import Action, Context, RuleSpec, rules_evaluate
from tickets.rules.tag_cache import tag_lookup, tags_known, tags_remember
from tickets.rules.templates import render
from tickets.rules.versions import version_annotations, version_put, version_read
from tickets.services.events import ticket_event_record, ticket_groups
from tickets.services.tickets import TicketUpdate, ticket_update_begin, ticket_update_save

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


_VERSION_PARTS = {
    "n": lambda: Count("id"),
    "a": lambda: Count("id", filter=Q(is_active=True)),
    "m": lambda: Max("id"),
    "v": lambda: Max("updated_at"),
}
_VERSION_PREFIX = "rules_version"
_VERSION_KEY = ("automation", "rules_version")


def _rules_version() -> tuple:
    return version_read(Rule, _VERSION_PARTS)


def rules_version_annotations() -> dict[str, Subquery]:
    """The rules version as annotations for another query (the intake's channel read), so
    checking the per-process cache costs no round trip of its own; see
    `rules_version_put`. The same four aggregates as `_rules_version`."""
    return version_annotations(Rule, _VERSION_PARTS, _VERSION_PREFIX)


def rules_version_put(row) -> None:
    """Hand the scope the version read with `rules_version_annotations` on `row`."""
    version_put(row, _VERSION_PARTS, _VERSION_PREFIX, _VERSION_KEY)


def rules_load(*, trigger: str) -> tuple[list[RuleSpec], frozenset[str]]:
    """Active rules for a trigger, in order, and the condition types they use.

    Kept per process and checked against a one-row version query, once per scoped unit of
    work (one inbound message: helpdesk.scoped_cache)."""
    version = scoped_get(_VERSION_KEY, _rules_version)
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


def channel_settings_put(channel_id: int, settings_: ChannelSettings | None) -> None:
    """Hand the scope settings read along with the channel (the intake does)."""
    scoped_put(("automation", "channel_settings", channel_id), settings_)


def channel_settings(channel_id: int) -> ChannelSettings | None:
    """The channel's automation settings (with its default team), read once per scope."""
    return scoped_get(
        ("automation", "channel_settings", channel_id),
        lambda: (
            ChannelSettings.objects.filter(channel_id=channel_id)
            .select_related("default_team")
            .first()
        ),
    )


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
    update: TicketUpdate | None = None,
) -> Context:
    """The facts the rules look at; costly ones only when a rule uses them. With `update`
    (a pass in progress) the tags are the update's (read once for the whole pass)."""
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
        names = update.tags.values() if update else ticket.tags.values_list("name", flat=True)
        ctx.tags = {n.lower() for n in names}
    if "customer_repeat" in used:
        from tickets.services.routing import customer_has_other_tickets

        ctx.customer_is_repeat = customer_has_other_tickets(ticket=ticket)
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

    def load() -> Team | None:
        qs = Team.objects.filter(pk=int(value)) if value.isdigit() else Team.objects.none()
        return qs.first() or Team.objects.filter(name__iexact=value).first()

    return scoped_get(("automation", "team", value.lower()), load)


def _tag(name: str, *, create: bool) -> Tag | None:
    key = ("automation", "tag", name.lower())
    tag = scoped_get(key, lambda: tag_lookup(name))
    if tag is None and create:
        tag = Tag.objects.get_or_create(name=name[:60])[0]
        scoped_put(key, tag)
    return tag


def _tags_preload(update: TicketUpdate, actions: list[Action]) -> None:
    """Read every tag the actions add and the ticket lacks in one query (into the scope
    `_tag` reads), but those the process keeps already (`tickets.rules.tag_cache`)."""
    names = {str(a.params["tag"]).lower() for a in actions if a.type == "add_tag"}
    if not scoped_active():
        return
    names -= {name.lower() for name in update.tags.values()}
    known = tags_known(names)
    for name, tag in known.items():
        scoped_put(("automation", "tag", name), tag)
    names -= known.keys()
    if len(names) < 2:
        return
    found: dict[str, Tag | None] = dict.fromkeys(names)
    for tag in Tag.objects.annotate(lname=Lower("name")).filter(lname__in=names).order_by("name"):
        found[tag.lname] = found[tag.lname] or tag
    tags_remember(found)
    for name, tag in found.items():
        scoped_put(("automation", "tag", name), tag)


def _tags_change(update: TicketUpdate, actions: list[Action]) -> None:
    """Consecutive tag actions of one rule: one tag change (one event). A tag the ticket
    already has needs no lookup to add, and one it lacks none to remove."""
    present = {name.lower(): pk for pk, name in update.tags.items()}
    add: list[Tag] = []
    remove: list[Tag] = []
    for action in actions:
        name = str(action.params["tag"])
        pk = present.get(name.lower())
        if action.type == "add_tag":
            if pk is None and (tag := _tag(name, create=True)):
                add.append(tag)
        elif pk is not None:
            remove.append(Tag(pk=pk, name=update.tags[pk]))
    update.set_tags(add=add, remove=remove, actor_label=_label(actions[0]))


def _field_change(update: TicketUpdate, action: Action) -> None:
    """A rule action that only changes the ticket's fields, into the pending update."""
    from tickets.services.routing import ticket_route_pick

    p, label = action.params, _label(action)
    if action.type == "set_priority":
        update.set_priority(
            priority=p["priority"], actor_label=label, only_raise=bool(p.get("only_raise"))
        )
    elif action.type == "set_team":
        team = _team(p["team"])
        if team:
            update.set_team(team=team, actor_label=label)
    elif action.type == "set_status":
        update.set_status(status=p["status"], actor_label=label)
    elif "agent" in p:  # assign
        user = get_user_model().objects.filter(username=str(p["agent"])).first()
        if user is not None:
            update.assign(assignee=user, actor_label=label)
    else:
        strategy = p.get("strategy", "auto")
        pick = ticket_route_pick(update=update, strategy=None if strategy == "auto" else strategy)
        if pick is not None:
            update.assign(assignee=pick.user, actor_label=label)


FIELD_ACTIONS = frozenset({"set_priority", "set_team", "set_status", "assign"})
TAG_ACTIONS = frozenset({"add_tag", "remove_tag"})


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
    return message.ticket  # as the reply left it (locked and saved in this transaction)


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


def _other_action(ticket: Ticket, action: Action) -> Ticket:
    """An action that is not a field change (auto reply, menu, notification), on the ticket
    as stored; returns the ticket as it now is."""
    if action.type == "auto_reply":
        return _auto_reply(ticket, action)
    if action.type == "send_menu":
        from tickets.services.bot import menu_send

        settings_ = channel_settings(ticket.channel_id)
        if settings_ and settings_.menu:
            return menu_send(ticket=ticket, menu=settings_.menu, actor_label=_label(action)).ticket
        return ticket
    if action.type == "notify":
        return _notify(ticket, action)
    return ticket


@dataclass
class PassResult:
    ticket: Ticket
    menu_sent: bool = False


def actions_run(*, update: TicketUpdate, actions: list[Action]) -> PassResult:
    """Apply in order. Field changes (tags, priority, team, assignee, status) gather in
    `update`; an action that needs the ticket as stored (auto reply, menu, notification)
    writes what gathered first. The caller saves the update at the end (routing may still
    add the assignee to it)."""
    result = PassResult(ticket=update.ticket)
    _tags_preload(update, actions)
    i = 0
    while i < len(actions):
        action = actions[i]
        if action.type in TAG_ACTIONS:
            j = i
            while (
                j < len(actions)
                and actions[j].type in TAG_ACTIONS
                and actions[j].rule_id == action.rule_id
            ):
                j += 1
            _tags_change(update, actions[i:j])
            i = j
            continue
        i += 1
        if update.ticket.status == "closed" and action.type != "notify":
            continue
        if action.type in FIELD_ACTIONS:
            _field_change(update, action)
            continue
        ticket = _other_action(ticket_update_save(update=update), action)
        result.menu_sent = result.menu_sent or action.type == "send_menu"
        update.rebase(ticket)
    result.ticket = update.ticket
    return result


def actions_apply(*, ticket: Ticket, actions: list[Action], locked: bool = False) -> Ticket:
    """Apply actions to the ticket and write them: one combined ticket change per run of
    field actions. `locked`: the caller holds the ticket's row lock on this current object."""
    with transaction.atomic(savepoint=False):
        update = ticket_update_begin(ticket=ticket, locked=locked)
        actions_run(update=update, actions=actions)
        return ticket_update_save(update=update)


def action_apply(*, ticket: Ticket, action: Action) -> Ticket:
    """Carry out one action; returns the ticket as it now is."""
    return actions_apply(ticket=ticket, actions=[action])


def rules_pass(*, trigger: str, update: TicketUpdate, message: Message | None = None) -> PassResult:
    """Evaluate the active rules of `trigger` on the ticket being updated and gather what
    matched into `update` (the caller saves it)."""
    specs, used = rules_load(trigger=trigger)
    if not specs:
        return PassResult(ticket=update.ticket)
    ctx = context_build(
        ticket=update.ticket, message=message, trigger=trigger, used=used, update=update
    )
    actions = rules_evaluate(specs, ctx)
    if not actions:
        return PassResult(ticket=update.ticket)
    with automation_running():
        return actions_run(update=update, actions=actions)


def rules_apply(
    *, trigger: str, ticket: Ticket, message: Message | None = None, locked: bool = False
) -> Ticket:
    """Evaluate the active rules of `trigger` on the ticket and apply what matched."""
    with scoped_cache():
        specs, used = rules_load(trigger=trigger)
        if not specs:
            return ticket
        ctx = context_build(ticket=ticket, message=message, trigger=trigger, used=used)
        actions = rules_evaluate(specs, ctx)
        if not actions:
            return ticket
        with automation_running():
            return actions_apply(ticket=ticket, actions=actions, locked=locked)


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
