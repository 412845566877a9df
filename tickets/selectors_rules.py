"""Reads for the rules settings page: the ordered list with how often each rule fired,
readable summaries of conditions and actions, and a dry run of a rule not saved yet.

Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets.automation.models import ChannelSettings, Rule, RuleFiring, Trigger
from tickets.forms_rules import (
    ACTION_LABELS,
    CONDITION_FIELDS,
    NOTIFY_LABELS,
    STRATEGY_LABELS,
    Lookups,
    condition_row,
)
from tickets.models import Channel, Priority, Status, Tag, Team, TicketEvent
from tickets.rules import context as providers
from tickets.rules.dry_run import rules_dry_run
from tickets.rules.engine import Context, RuleResult, RuleSpec, rules_explain


def rules_lookups() -> Lookups:
    """Channels, teams, agents and tag names by the values rules store (four queries)."""
    channels = {str(c.pk): str(c) for c in Channel.objects.order_by("name")}
    teams = {str(pk): name for pk, name in Team.objects.values_list("pk", "name")}
    agents = {
        u.get_username(): (u.get_full_name() or u.get_username())
        for u in get_user_model()
        .objects.filter(is_active=True, agent__isnull=False)
        .order_by("username")
    }
    tags = list(Tag.objects.order_by("name").values_list("name", flat=True))
    return Lookups(channels=channels, teams=teams, agents=agents, tags=tags)


# --- summaries -------------------------------------------------------------------------------

TRIGGER_PHRASES = {
    Trigger.TICKET_CREATED: lambda: _("When a ticket is created"),
    Trigger.MESSAGE_RECEIVED: lambda: _("When a customer message arrives"),
    Trigger.TICKET_UPDATED: lambda: _("When a ticket is updated"),
    Trigger.TIME: lambda: _("Every few minutes, for each open ticket"),
}


def _quoted(values, limit: int = 6) -> str:
    """“a”, “b”, “c” — long word lists end with "+N more"."""
    values = [str(v) for v in values]
    shown = ", ".join(f"“{v}”" for v in values[:limit])
    if len(values) > limit:
        shown += " " + _("+%d more") % (len(values) - limit)
    return shown


def _labels(values, options: list[tuple[str, str]]) -> str:
    known = dict(options)
    return ", ".join(known.get(str(v), str(v)) for v in values)


def condition_text(item: dict[str, Any], lookups: Lookups) -> str:
    """One condition in words: "the message contains “refund”"."""
    kind = item.get("type", "")
    spec = CONDITION_FIELDS.get(kind)
    if spec is None:
        return kind
    row = condition_row(0, item, lookups)
    neg = row.op in ("is_not", "not_contains", "not_matches", "not_all", "less_than", "no")
    value = item.get(spec.param)
    if spec.kind == "choice":
        shown = _labels(row.values, lookups.choice_lists()[spec.choices])
        subject = str(spec.label).lower()
        return (_("the %(what)s is not %(values)s") if neg else _("the %(what)s is %(values)s")) % {
            "what": subject,
            "values": shown,
        }
    if kind == "text_contains":
        return (
            _("the message contains none of %s") if neg else _("the message contains %s")
        ) % _quoted(value)
    if kind == "text_regex":
        return (
            _("the message does not match /%s/") if neg else _("the message matches /%s/")
        ) % value
    if kind == "customer_tag":
        return (
            _("the customer has no ticket tagged %s")
            if neg
            else _("the customer has a ticket tagged %s")
        ) % _quoted(value)
    if kind == "customer_language":
        return (
            _("the customer's language is not %s") if neg else _("the customer's language is %s")
        ) % ", ".join(value)
    if kind == "has_tag":
        phrases = {
            "any": _("the ticket has a tag of %s"),
            "all": _("the ticket has all the tags %s"),
            "none": _("the ticket has none of the tags %s"),
            "not_all": _("the ticket lacks one of the tags %s"),
        }
        return phrases[row.op] % _quoted(value)
    if kind == "status_unchanged_for":
        return (
            _("the status changed less than %s hours ago")
            if neg
            else _("the status has not changed for %s hours")
        ) % value
    yes = {
        "customer_repeat": (_("the customer wrote before"), _("the customer is new")),
        "business_hours": (_("inside business hours"), _("outside business hours")),
        "assigned": (_("the ticket is assigned"), _("the ticket is unassigned")),
    }[kind]
    return yes[1] if neg else yes[0]


def action_text(item: dict[str, Any], lookups: Lookups) -> str:
    """One action in words: "tag “Return”", "priority high", "team Billing"."""
    kind = item.get("type", "")
    if kind == "add_tag":
        return _("tag %s") % _quoted([item["tag"]])
    if kind == "remove_tag":
        return _("remove tag %s") % _quoted([item["tag"]])
    if kind == "set_priority":
        label = str(dict(Priority.choices).get(item["priority"], item["priority"])).lower()
        text = _("priority %s") % label
        return text + (" " + _("(only raise)") if item.get("only_raise") else "")
    if kind == "set_team":
        return _("team %s") % lookups.teams.get(str(item["team"]), str(item["team"]))
    if kind == "assign":
        if "agent" in item:
            return _("assign to %s") % lookups.agents.get(str(item["agent"]), str(item["agent"]))
        return _("assign by %s") % STRATEGY_LABELS.get(item.get("strategy", "auto"), "")
    if kind == "auto_reply":
        text = str(item["text"])
        return _("auto-reply %s") % _quoted([text if len(text) <= 40 else text[:39] + "…"])
    if kind == "send_menu":
        return _("send the self-service menu")
    if kind == "set_status":
        return (
            _("status %s") % str(dict(Status.choices).get(item["status"], item["status"])).lower()
        )
    if kind == "notify":
        return _("notify %(to)s: %(text)s") % {
            "to": NOTIFY_LABELS.get(item.get("to", "team"), ""),
            "text": _quoted([item["text"]]),
        }
    return str(ACTION_LABELS.get(kind, kind))


def rule_summary(rule: Rule, lookups: Lookups) -> str:
    """ "When a customer message arrives, if the message contains “refund” and the channel
    kind is Telegram → tag “return”, priority High"."""
    joiner = " " + (_("or") if rule.match == "any" else _("and")) + " "
    conds = joiner.join(condition_text(c, lookups) for c in rule.conditions)
    acts = ", ".join(action_text(a, lookups) for a in rule.actions)
    start = TRIGGER_PHRASES.get(rule.trigger, lambda: rule.trigger)()
    if conds:
        return _("%(when)s, if %(conditions)s → %(actions)s") % {
            "when": start,
            "conditions": conds,
            "actions": acts,
        }
    return f"{start} → {acts}"


# --- the list --------------------------------------------------------------------------------


@dataclass
class TriggerGroup:
    trigger: str
    label: str
    rules: list[Rule]


def rules_settings_list(*, lookups: Lookups) -> list[TriggerGroup]:
    """Every rule in evaluation order, grouped by trigger, each with its `summary`.
    One query whatever the number of rules."""
    groups = {t: TriggerGroup(t, str(label), []) for t, label in Trigger.choices}
    for rule in Rule.objects.order_by("position", "id"):
        rule.summary = rule_summary(rule, lookups)
        groups.setdefault(rule.trigger, TriggerGroup(rule.trigger, rule.trigger, [])).rules.append(
            rule
        )
    for group in groups.values():
        for i, rule in enumerate(group.rules):
            rule.is_first, rule.is_last = i == 0, i == len(group.rules) - 1
    return [g for g in groups.values() if g.rules]


def rules_fired_counts() -> dict[int, int]:
    """How often each rule fired: time-based rules count their firings (RuleFiring); the
    others count the tickets whose history shows a change made by the rule (`rule:<id>`).

    The second query reads the whole event log (there is no index on the actor), about
    0.7 s per 2 million events on PostgreSQL, so the page asks for it after it is shown."""
    rules = dict(Rule.objects.values_list("pk", "trigger"))
    firings = dict(
        RuleFiring.objects.values_list("rule_id")
        .annotate(n=Count("id"))
        .values_list("rule_id", "n")
    )
    changed = dict(
        TicketEvent.objects.filter(actor_label__in=[f"rule:{pk}" for pk in rules])
        .values_list("actor_label")
        .annotate(n=Count("ticket_id", distinct=True))
        .values_list("actor_label", "n")
    )
    return {
        pk: firings.get(pk, 0) if trigger == Trigger.TIME else changed.get(f"rule:{pk}", 0)
        for pk, trigger in rules.items()
    }


# --- dry runs --------------------------------------------------------------------------------


class _NoTicket:
    """What a business-hours provider gets in a dry run: no ticket yet."""

    pk = None
    team_id = None
    channel_id = None
    priority = "normal"


def sample_context(*, trigger: str, sample: dict[str, Any], lookups: Lookups) -> Context:
    """The facts of a pasted message, as the engine sees them (no ticket is read)."""
    channel_id = sample.get("channel_id")
    channel = Channel.objects.filter(pk=channel_id).first() if channel_id else None
    purpose = ""
    if channel is not None:
        purpose = (
            ChannelSettings.objects.filter(channel=channel)
            .values_list("purpose", flat=True)
            .first()
            or ""
        )
    hours = sample.get("business_hours")
    if hours is None:
        hours = providers.in_business_hours(ticket=_NoTicket(), at=timezone.now())
    team_id = sample.get("team_id")
    return Context(
        text=sample.get("text", ""),
        trigger=trigger,
        channel_id=channel.pk if channel else None,
        channel_name=channel.name if channel else "",
        channel_kind=channel.kind if channel else "",
        channel_purpose=purpose,
        customer_is_repeat=sample.get("customer_is_repeat", False),
        customer_tags={t.lower() for t in sample.get("customer_tags", [])},
        customer_language=sample.get("customer_language", ""),
        in_business_hours=hours,
        priority=sample.get("priority", "normal"),
        status=sample.get("status", "new"),
        team_id=team_id,
        team_name=lookups.teams.get(str(team_id), "") if team_id else "",
        assignee_id=0 if sample.get("assigned") else None,
        tags={t.lower() for t in sample.get("tags", [])},
        status_age_hours=sample.get("status_age_hours"),
    )


def rule_draft_dry_run(
    *, rule_id: int | None, data: dict[str, Any], sample: dict[str, Any], lookups: Lookups
) -> RuleResult:
    """Explain a rule as it stands in the editor (saved or not) on a pasted message."""
    spec = RuleSpec(
        id=rule_id or 0,
        name=data["name"],
        conditions=tuple(data["conditions"]),
        actions=tuple(data["actions"]),
        match=data["match"],
        stop_processing=data["stop_processing"],
    )
    ctx = sample_context(trigger=data["trigger"], sample=sample, lookups=lookups)
    return rules_explain([spec], ctx)[0]


def rules_saved_dry_run(*, trigger: str, sample: dict[str, Any]) -> list[RuleResult]:
    """Every enabled rule of a trigger on a pasted message (the admin's dry run)."""
    channel_id = sample.get("channel_id")
    return rules_dry_run(
        text=sample.get("text", ""),
        trigger=trigger,
        channel=Channel.objects.filter(pk=channel_id).first() if channel_id else None,
        customer_is_repeat=sample.get("customer_is_repeat", False),
        customer_tags=sample.get("customer_tags", []),
        customer_language=sample.get("customer_language", ""),
        business_hours=sample.get("business_hours"),
        priority=sample.get("priority", "normal"),
        status=sample.get("status", "new"),
        tags=sample.get("tags", []),
    )


def explained(result: RuleResult, lookups: Lookups) -> dict[str, Any]:
    """A dry-run result with each condition and action in words, for the template."""
    return {
        "rule": result.rule,
        "matched": result.matched,
        "conditions": [
            {"text": condition_text(result.rule.conditions[c.index], lookups), "matched": c.matched}
            for c in result.conditions
        ],
        "actions": [action_text({"type": a.type, **a.params}, lookups) for a in result.actions],
    }
