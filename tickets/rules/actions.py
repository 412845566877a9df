"""Rule actions: names, parameter validation and help (pure). `apply.py` carries them out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PRIORITIES = ("urgent", "high", "normal", "low")
STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
STRATEGIES = ("auto", "round_robin", "least_loaded")


@dataclass(frozen=True)
class ActionSpec:
    help: str
    validate: Callable[[dict[str, Any]], None]


def _str(p: dict, key: str) -> str:
    value = p.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value).strip() == "":
        raise ValueError(f"'{key}' is required.")
    return str(value)


def _choice(p: dict, key: str, choices: tuple[str, ...]) -> None:
    if p.get(key) not in choices:
        raise ValueError(f"'{key}' must be one of {', '.join(choices)}.")


def _assign(p: dict) -> None:
    if "agent" in p:
        _str(p, "agent")
    else:
        _choice({"strategy": p.get("strategy", "auto")}, "strategy", STRATEGIES)


def _priority(p: dict) -> None:
    _choice(p, "priority", PRIORITIES)
    if not isinstance(p.get("only_raise", False), bool):
        raise ValueError("'only_raise' must be true or false.")


def _notify(p: dict) -> None:
    _str(p, "text")
    if p.get("to", "team") not in ("team", "assignee", "queue"):
        raise ValueError("'to' must be team, assignee or queue.")


ACTIONS: dict[str, ActionSpec] = {
    "add_tag": ActionSpec('"tag": name (created if missing)', lambda p: _str(p, "tag")),
    "remove_tag": ActionSpec('"tag": name', lambda p: _str(p, "tag")),
    "set_priority": ActionSpec(
        '"priority": urgent/high/normal/low, "only_raise": true keeps a higher one', _priority
    ),
    "set_team": ActionSpec('"team": id or name', lambda p: _str(p, "team")),
    "assign": ActionSpec(
        '"agent": username, or "strategy": auto (the team\'s)/round_robin/least_loaded', _assign
    ),
    "auto_reply": ActionSpec(
        '"text": template with {customer_name}, {ticket_id}, {expected_at}; "once": true '
        "sends it once per ticket",
        lambda p: _str(p, "text"),
    ),
    "send_menu": ActionSpec("the channel's self-service menu (no parameters)", lambda p: None),
    "set_status": ActionSpec(
        '"status": new/open/pending/on_hold/solved/closed',
        lambda p: _choice(p, "status", STATUSES),
    ),
    "notify": ActionSpec('"text", "to": team/assignee/queue (live notification)', _notify),
}
