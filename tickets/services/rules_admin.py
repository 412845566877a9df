"""Changing automation rules from the settings page. Every change is audited.

Positions are numbers shared by all triggers, but only the order inside one trigger matters
(the engine loads one trigger's rules at a time). Reordering renumbers that trigger's rules
10, 20, 30... Every write also moves `updated_at`, which is what the engine's rule cache
compares, so each process picks up the change on its next message.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from helpdesk.audit.services import audit_record
from helpdesk.exceptions import ApplicationError
from tickets.automation.models import Rule, Trigger
from tickets.rules.engine import RuleInvalid, rule_validate

EDITABLE = ("name", "trigger", "match", "conditions", "actions", "is_active", "stop_processing")
STEP = 10


class RuleOrderInvalid(ApplicationError):
    pass


def _check(*, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ApplicationError(f"Unknown rule fields: {', '.join(sorted(unknown))}.")
    if "trigger" in fields and fields["trigger"] not in Trigger.values:
        raise ApplicationError(f"Unknown trigger {fields['trigger']!r}.")
    if "match" in fields and fields["match"] not in ("all", "any"):
        raise ApplicationError("Match must be all or any.")
    if "conditions" in fields or "actions" in fields:
        try:
            rule_validate(
                conditions=fields.get("conditions", []), actions=fields.get("actions", [])
            )
        except RuleInvalid as exc:
            raise ApplicationError(exc.message) from exc


def rule_create(*, actor, fields: dict[str, Any], request=None) -> Rule:
    """A new rule, placed after every other rule."""
    _check(fields={**{"conditions": [], "actions": []}, **fields})
    with transaction.atomic():
        last = Rule.objects.aggregate(m=Max("position"))["m"] or 0
        rule = Rule.objects.create(position=last + STEP, **fields)
        audit_record(
            action="rule.created",
            actor=actor,
            target=rule,
            data={**{k: getattr(rule, k) for k in EDITABLE}, "position": rule.position},
            request=request,
        )
    return rule


def rule_update(*, rule: Rule, actor, fields: dict[str, Any], request=None) -> Rule:
    """Change what was posted; the audit entry holds each changed field before and after."""
    with transaction.atomic():
        rule = Rule.objects.select_for_update().get(pk=rule.pk)
        current = {k: getattr(rule, k) for k in EDITABLE}
        _check(
            fields={"conditions": current["conditions"], "actions": current["actions"], **fields}
        )
        changes = {k: [current[k], v] for k, v in fields.items() if current[k] != v}
        if not changes:
            return rule
        for k, (_before, after) in changes.items():
            setattr(rule, k, after)
        rule.save()  # updated_at moves: the engine's cache sees the change
        audit_record(
            action="rule.changed",
            actor=actor,
            target=rule,
            data={k: {"from": a, "to": b} for k, (a, b) in changes.items()},
            request=request,
        )
    return rule


def rule_set_active(*, rule: Rule, actor, active: bool, request=None) -> Rule:
    return rule_update(rule=rule, actor=actor, fields={"is_active": active}, request=request)


def rule_delete(*, rule: Rule, actor, request=None) -> None:
    with transaction.atomic():
        rule = Rule.objects.select_for_update().get(pk=rule.pk)
        data = {**{k: getattr(rule, k) for k in EDITABLE}, "position": rule.position}
        audit_record(action="rule.deleted", actor=actor, target=rule, data=data, request=request)
        rule.delete()


def rules_reorder(*, trigger: str, ordered_ids: list[int], actor, request=None) -> list[Rule]:
    """Put one trigger's rules in the given order. The list must name each of them once."""
    with transaction.atomic():
        rules = list(
            Rule.objects.select_for_update().filter(trigger=trigger).order_by("position", "id")
        )
        by_id = {r.pk: r for r in rules}
        if len(ordered_ids) != len(set(ordered_ids)) or set(ordered_ids) != set(by_id):
            raise RuleOrderInvalid(
                "The order must list every rule of this trigger exactly once; "
                "the rules may have changed meanwhile, reload the page."
            )
        base = min((r.position for r in rules), default=STEP)
        base = max(base - base % STEP, STEP)
        now = timezone.now()
        changed = []
        for i, pk in enumerate(ordered_ids):
            rule = by_id[pk]
            position = base + i * STEP
            if rule.position != position:
                audit_record(
                    action="rule.changed",
                    actor=actor,
                    target=rule,
                    data={"position": {"from": rule.position, "to": position}},
                    request=request,
                )
                rule.position, rule.updated_at = position, now
                changed.append(rule)
        Rule.objects.bulk_update(changed, ["position", "updated_at"])
    return [by_id[pk] for pk in ordered_ids]


def rule_move(*, rule: Rule, direction: str, actor, request=None) -> list[Rule]:
    """Swap the rule with its neighbour above ("up") or below ("down") in its trigger."""
    if direction not in ("up", "down"):
        raise RuleOrderInvalid("Direction must be up or down.")
    ids = list(
        Rule.objects.filter(trigger=rule.trigger)
        .order_by("position", "id")
        .values_list("pk", flat=True)
    )
    i = ids.index(rule.pk)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(ids):
        ids[i], ids[j] = ids[j], ids[i]
    return rules_reorder(trigger=rule.trigger, ordered_ids=ids, actor=actor, request=request)
