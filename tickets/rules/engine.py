"""Pure rule evaluation: no ORM, no settings. `rules_evaluate(rules, ctx) -> list[Action]`."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from tickets.rules import text as textmod
from tickets.rules.actions import ACTIONS
from tickets.rules.conditions import CONDITIONS, VALIDATORS


@dataclass(frozen=True)
class RuleSpec:
    id: int
    name: str
    conditions: tuple[dict[str, Any], ...] = ()
    actions: tuple[dict[str, Any], ...] = ()
    match: str = "all"  # "all" or "any"
    stop_processing: bool = False


@dataclass
class Context:
    """What conditions can look at: the message, the channel, the customer, the ticket."""

    text: str = ""
    trigger: str = "message_received"
    channel_id: int | None = None
    channel_name: str = ""
    channel_kind: str = ""
    channel_purpose: str = ""
    customer_is_repeat: bool = False
    customer_tags: set[str] = field(default_factory=set)
    customer_language: str = ""
    in_business_hours: bool = True
    priority: str = "normal"
    status: str = "new"
    team_id: int | None = None
    team_name: str = ""
    assignee_id: int | None = None
    tags: set[str] = field(default_factory=set)
    status_age_hours: float | None = None

    @cached_property
    def text_normalized(self) -> str:
        return textmod.normalize(self.text)


@dataclass(frozen=True)
class Action:
    rule_id: int
    rule_name: str
    type: str
    params: dict[str, Any]


@dataclass(frozen=True)
class ConditionResult:
    index: int
    type: str
    params: dict[str, Any]
    matched: bool


@dataclass(frozen=True)
class RuleResult:
    rule: RuleSpec
    matched: bool
    conditions: list[ConditionResult]
    actions: list[Action]


class RuleInvalid(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _params(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in ("type", "not")}


def condition_check(item: dict[str, Any], ctx: Context) -> bool:
    fn = CONDITIONS.get(item.get("type", ""))
    if fn is None:
        return False  # an unknown condition (say, from a newer version) never matches
    result = fn(ctx, _params(item))
    return not result if item.get("not") else result


def rule_matches(rule: RuleSpec, ctx: Context) -> bool:
    checks = (condition_check(c, ctx) for c in rule.conditions)
    if rule.match == "any":
        return any(checks) if rule.conditions else True
    return all(checks)


def rule_actions(rule: RuleSpec) -> list[Action]:
    return [
        Action(rule_id=rule.id, rule_name=rule.name, type=a["type"], params=_params(a))
        for a in rule.actions
        if a.get("type") in ACTIONS
    ]


def rules_evaluate(rules: list[RuleSpec], ctx: Context) -> list[Action]:
    """Actions of every matching rule, in rule order, up to the first matching rule that
    stops processing."""
    out: list[Action] = []
    for rule in rules:
        if rule_matches(rule, ctx):
            out.extend(rule_actions(rule))
            if rule.stop_processing:
                break
    return out


def rules_explain(rules: list[RuleSpec], ctx: Context) -> list[RuleResult]:
    """Like `rules_evaluate`, with each condition's outcome: the admin's dry run."""
    results: list[RuleResult] = []
    stopped = False
    for rule in rules:
        conds = [
            ConditionResult(i, c.get("type", ""), _params(c), condition_check(c, ctx))
            for i, c in enumerate(rule.conditions)
        ]
        matched = not stopped and rule_matches(rule, ctx)
        results.append(RuleResult(rule, matched, conds, rule_actions(rule) if matched else []))
        if matched and rule.stop_processing:
            stopped = True
    return results


def _check_list(value: Any, field_name: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise RuleInvalid(field_name, "Must be a JSON list of objects.")
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            raise RuleInvalid(field_name, f'Item {i + 1} must be an object with a "type".')
    return value


def rule_validate(*, conditions: Any, actions: Any) -> None:
    """Raise RuleInvalid naming the field and the item that is wrong."""
    for i, item in enumerate(_check_list(conditions, "conditions")):
        kind = item["type"]
        if kind not in VALIDATORS:
            known = ", ".join(sorted(VALIDATORS))
            raise RuleInvalid("conditions", f"Item {i + 1}: unknown type {kind!r} ({known}).")
        if not isinstance(item.get("not", False), bool):
            raise RuleInvalid("conditions", f"Item {i + 1}: 'not' must be true or false.")
        try:
            VALIDATORS[kind](_params(item))
        except ValueError as exc:
            raise RuleInvalid("conditions", f"Item {i + 1} ({kind}): {exc}") from exc
    items = _check_list(actions, "actions")
    if not items:
        raise RuleInvalid("actions", "A rule needs at least one action.")
    for i, item in enumerate(items):
        kind = item["type"]
        if kind not in ACTIONS:
            known = ", ".join(sorted(ACTIONS))
            raise RuleInvalid("actions", f"Item {i + 1}: unknown type {kind!r} ({known}).")
        try:
            ACTIONS[kind].validate(_params(item))
        except ValueError as exc:
            raise RuleInvalid("actions", f"Item {i + 1} ({kind}): {exc}") from exc
