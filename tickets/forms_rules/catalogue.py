"""What the rule editor offers: condition fields and their operators, action labels, and
the names shown for the ids rules store. Mirrors tickets.rules (conditions and actions)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.automation.models import Purpose
from tickets.models import ChannelKind, Priority, Status
from tickets.rules.actions import ACTIONS
from tickets.rules.conditions import VALIDATORS

# --- the catalogue: what each condition row looks like -------------------------------------

# Operators: each one is (the "not" flag, extra parameters) for the kinds that offer it.
OPERATORS: dict[str, Any] = {
    "is": gettext_lazy("is one of"),
    "is_not": gettext_lazy("is none of"),
    "contains": gettext_lazy("contains any of"),
    "not_contains": gettext_lazy("contains none of"),
    "matches": gettext_lazy("matches"),
    "not_matches": gettext_lazy("does not match"),
    "any": gettext_lazy("has any of"),
    "all": gettext_lazy("has all of"),
    "none": gettext_lazy("has none of"),
    "not_all": gettext_lazy("lacks at least one of"),
    "yes": gettext_lazy("yes"),
    "no": gettext_lazy("no"),
    "at_least": gettext_lazy("for at least (hours)"),
    "less_than": gettext_lazy("for less than (hours)"),
}
NEGATIVE = {"is_not", "not_contains", "not_matches", "not_all", "less_than"}


@dataclass(frozen=True)
class CondField:
    label: Any
    kind: str  # choice (pick from a list), words (comma-separated), pattern, bool, hours
    param: str  # the engine's parameter name
    ops: tuple[str, ...]
    choices: str = ""  # the name of a choice list for kind "choice" (see `choice_lists`)


IS = ("is", "is_not")
CONDITION_FIELDS: dict[str, CondField] = {
    "text_contains": CondField(
        gettext_lazy("Message text"), "words", "words", ("contains", "not_contains")
    ),
    "text_regex": CondField(
        gettext_lazy("Message text (regular expression)"),
        "pattern",
        "pattern",
        ("matches", "not_matches"),
    ),
    "channel": CondField(gettext_lazy("Channel"), "choice", "channels", IS, "channels"),
    "channel_kind": CondField(gettext_lazy("Channel kind"), "choice", "kinds", IS, "kinds"),
    "channel_purpose": CondField(
        gettext_lazy("Channel purpose"), "choice", "purposes", IS, "purposes"
    ),
    "customer_repeat": CondField(gettext_lazy("Repeat customer"), "bool", "value", ("yes", "no")),
    "customer_tag": CondField(gettext_lazy("Customer tag (any ticket)"), "words", "tags", IS),
    "customer_language": CondField(gettext_lazy("Customer language"), "words", "languages", IS),
    "business_hours": CondField(
        gettext_lazy("Inside business hours"), "bool", "value", ("yes", "no")
    ),
    "priority": CondField(gettext_lazy("Priority"), "choice", "priorities", IS, "priorities"),
    "status": CondField(gettext_lazy("Status"), "choice", "statuses", IS, "statuses"),
    "team": CondField(gettext_lazy("Team"), "choice", "teams", IS, "teams"),
    "has_tag": CondField(
        gettext_lazy("Ticket tags"), "words", "tags", ("any", "all", "none", "not_all")
    ),
    "assigned": CondField(gettext_lazy("Assigned to someone"), "bool", "value", ("yes", "no")),
    "status_unchanged_for": CondField(
        gettext_lazy("Status unchanged"), "hours", "hours", ("at_least", "less_than")
    ),
}

ACTION_LABELS: dict[str, Any] = {
    "add_tag": gettext_lazy("Add tag"),
    "remove_tag": gettext_lazy("Remove tag"),
    "set_priority": gettext_lazy("Set priority"),
    "set_team": gettext_lazy("Set team"),
    "assign": gettext_lazy("Assign"),
    "auto_reply": gettext_lazy("Send an auto-reply"),
    "send_menu": gettext_lazy("Send the self-service menu"),
    "set_status": gettext_lazy("Set status"),
    "notify": gettext_lazy("Notify"),
}
STRATEGY_LABELS: dict[str, Any] = {
    "auto": gettext_lazy("the team's strategy"),
    "round_robin": gettext_lazy("round-robin"),
    "least_loaded": gettext_lazy("least loaded"),
}
NOTIFY_LABELS: dict[str, Any] = {
    "team": gettext_lazy("the team"),
    "assignee": gettext_lazy("the assignee"),
    "queue": gettext_lazy("everyone on the queue"),
}
assert set(CONDITION_FIELDS) == set(VALIDATORS) and set(ACTION_LABELS) == set(ACTIONS)


@dataclass(frozen=True)
class Lookups:
    """Names the page shows for ids: channels, teams, agents (read once per page)."""

    channels: dict[str, str] = field(default_factory=dict)  # id -> "name (Kind)"
    teams: dict[str, str] = field(default_factory=dict)  # id -> name
    agents: dict[str, str] = field(default_factory=dict)  # username -> display name
    tags: list[str] = field(default_factory=list)  # existing tag names, as suggestions

    def choice_lists(self) -> dict[str, list[tuple[str, str]]]:
        return {
            "channels": list(self.channels.items()),
            "kinds": [(k, str(label)) for k, label in ChannelKind.choices],
            "purposes": [(k, str(label)) for k, label in Purpose.choices if k],
            "priorities": [(k, str(label)) for k, label in Priority.choices],
            "statuses": [(k, str(label)) for k, label in Status.choices],
            "teams": [("", _("no team")), *self.teams.items()],
        }

    def team_choices(self) -> list[tuple[str, str]]:
        return list(self.teams.items())


# The engine's messages name JSON keys ("'pattern' is not ..."): say what the page shows.
KEY_NAMES: dict[str, Any] = {
    "pattern": gettext_lazy("The pattern"),
    "hours": gettext_lazy("The number of hours"),
    "to": gettext_lazy("Who to notify"),
    "priority": gettext_lazy("The priority"),
    "status": gettext_lazy("The status"),
    "strategy": gettext_lazy("The strategy"),
    "text": gettext_lazy("The text"),
    "tag": gettext_lazy("The tag"),
    "team": gettext_lazy("The team"),
}
_KEY = re.compile(r"^'(\w+)'")


def engine_message(message: str) -> str:
    match = _KEY.match(message)
    if match is None:
        return message
    name = KEY_NAMES.get(match.group(1), gettext_lazy("The value"))
    return f"{name}{message[match.end() :]}"


def split_words(values: list[str]) -> list[str]:
    return [w.strip() for v in values for w in v.split(",") if w.strip()]
