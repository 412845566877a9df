"""Rule conditions: small pure functions registered by name.

Each takes the evaluation context and the condition's parameters (the JSON object from the
rule, minus "type" and "not") and returns a bool. Each has a validator that raises
ValueError for parameters it cannot use; the admin shows that message.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tickets.rules import text as textmod

if TYPE_CHECKING:
    from tickets.rules.engine import Context

ConditionFn = Callable[["Context", dict[str, Any]], bool]
CONDITIONS: dict[str, ConditionFn] = {}
VALIDATORS: dict[str, Callable[[dict[str, Any]], None]] = {}


def _list_of_str(params: dict, key: str) -> list[str]:
    value = params.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str | int) for v in value):
        raise ValueError(f"'{key}' must be a non-empty list.")
    return [str(v) for v in value]


def _bool(params: dict, key: str) -> bool:
    value = params.get(key, True)
    if not isinstance(value, bool):
        raise ValueError(f"'{key}' must be true or false.")
    return value


def condition(name: str, validate: Callable[[dict[str, Any]], None]):
    def register(fn: ConditionFn) -> ConditionFn:
        CONDITIONS[name] = fn
        VALIDATORS[name] = validate
        return fn

    return register


def _lower(values) -> set[str]:
    return {str(v).lower() for v in values}


@condition("channel", lambda p: _list_of_str(p, "channels"))
def channel_is(ctx: Context, p: dict) -> bool:
    """the ticket's channel is one of "channels" (ids or names)."""
    wanted = _lower(p["channels"])
    return str(ctx.channel_id) in wanted or ctx.channel_name.lower() in wanted


@condition("channel_kind", lambda p: _list_of_str(p, "kinds"))
def channel_kind_is(ctx: Context, p: dict) -> bool:
    """the channel kind is one of "kinds" (telegram, whatsapp, email, webchat, generic)."""
    return ctx.channel_kind in _lower(p["kinds"])


@condition("channel_purpose", lambda p: _list_of_str(p, "purposes"))
def channel_purpose_is(ctx: Context, p: dict) -> bool:
    """the channel's purpose is one of "purposes" (sales, support)."""
    return ctx.channel_purpose in _lower(p["purposes"])


@condition("text_contains", lambda p: _list_of_str(p, "words"))
def text_contains(ctx: Context, p: dict) -> bool:
    """the message has one of "words" (stems; any form: "достав" matches "доставки")."""
    return textmod.contains_any(ctx.text_normalized, tuple(p["words"]))


def _validate_regex(p: dict) -> None:
    pattern = p.get("pattern")
    if not isinstance(pattern, str) or not pattern:
        raise ValueError("'pattern' must be a regular expression.")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"'pattern' is not a valid regular expression: {exc}") from exc


@condition("text_regex", _validate_regex)
def text_regex(ctx: Context, p: dict) -> bool:
    """the message matches the regular expression "pattern" (case-insensitive)."""
    return bool(textmod.user_regex(p["pattern"]).search(ctx.text))


@condition("customer_repeat", lambda p: _bool(p, "value"))
def customer_repeat(ctx: Context, p: dict) -> bool:
    """the customer had tickets before ("value": true) or not (false)."""
    return ctx.customer_is_repeat == p.get("value", True)


@condition("customer_tag", lambda p: _list_of_str(p, "tags"))
def customer_tag(ctx: Context, p: dict) -> bool:
    """one of the customer's tickets carries one of "tags" (e.g. vip)."""
    return bool(_lower(p["tags"]) & ctx.customer_tags)


@condition("customer_language", lambda p: _list_of_str(p, "languages"))
def customer_language(ctx: Context, p: dict) -> bool:
    """the customer's language is one of "languages" (ru, en, ...; prefix match)."""
    lang = ctx.customer_language.lower()
    return any(lang.startswith(w) for w in _lower(p["languages"])) if lang else False


@condition("business_hours", lambda p: _bool(p, "value"))
def business_hours(ctx: Context, p: dict) -> bool:
    """now is inside business hours ("value": true) or outside (false)."""
    return ctx.in_business_hours == p.get("value", True)


@condition("priority", lambda p: _list_of_str(p, "priorities"))
def priority_is(ctx: Context, p: dict) -> bool:
    """the ticket's priority is one of "priorities" (urgent, high, normal, low)."""
    return ctx.priority in _lower(p["priorities"])


@condition("status", lambda p: _list_of_str(p, "statuses"))
def status_is(ctx: Context, p: dict) -> bool:
    """the ticket's status is one of "statuses" (new, open, pending, on_hold, solved)."""
    return ctx.status in _lower(p["statuses"])


@condition("team", lambda p: _list_of_str(p, "teams"))
def team_is(ctx: Context, p: dict) -> bool:
    """the ticket's team is one of "teams" (ids or names; "" for no team)."""
    wanted = _lower(p["teams"])
    if ctx.team_id is None:
        return "" in wanted
    return str(ctx.team_id) in wanted or ctx.team_name.lower() in wanted


def _validate_tags(p: dict) -> None:
    _list_of_str(p, "tags")
    if p.get("mode", "any") not in ("any", "all", "none"):
        raise ValueError("'mode' must be any, all or none.")


@condition("has_tag", _validate_tags)
def has_tag(ctx: Context, p: dict) -> bool:
    """the ticket has "tags" ("mode": any (default), all or none)."""
    wanted = _lower(p["tags"])
    mode = p.get("mode", "any")
    if mode == "all":
        return wanted <= ctx.tags
    if mode == "none":
        return not (wanted & ctx.tags)
    return bool(wanted & ctx.tags)


def _validate_hours(p: dict) -> None:
    hours = p.get("hours")
    if isinstance(hours, bool) or not isinstance(hours, int | float) or hours <= 0:
        raise ValueError("'hours' must be a positive number.")


@condition("status_unchanged_for", _validate_hours)
def status_unchanged_for(ctx: Context, p: dict) -> bool:
    """the status has not changed for at least "hours" hours (for time-based rules)."""
    return ctx.status_age_hours is not None and ctx.status_age_hours >= p["hours"]


@condition("assigned", lambda p: _bool(p, "value"))
def assigned(ctx: Context, p: dict) -> bool:
    """the ticket has an assignee ("value": true) or not (false)."""
    return (ctx.assignee_id is not None) == p.get("value", True)
