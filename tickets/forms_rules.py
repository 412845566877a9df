"""The friendly rules page's forms: condition and action rows instead of JSON.

A rule is posted as plain fields (`name`, `trigger`, ...) and numbered rows:
`c-<n>-type`, `c-<n>-op`, `c-<n>-value` (repeatable) for conditions and
`a-<n>-type`, `a-<n>-<param>` for actions. `RuleEditor` turns the rows into the JSON the
engine runs, checks every row with the engine's own validators and keeps a message per row;
`rule_rows()` turns a stored rule back into rows for editing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.automation.models import Purpose, Trigger
from tickets.models import ChannelKind, Priority, Status
from tickets.rules.actions import ACTIONS, STRATEGIES
from tickets.rules.conditions import VALIDATORS
from tickets.rules.engine import RuleInvalid, rule_validate

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


def _split_words(values: list[str]) -> list[str]:
    return [w.strip() for v in values for w in v.split(",") if w.strip()]


# --- rows <-> JSON ---------------------------------------------------------------------------


@dataclass
class Row:
    index: int | str
    type: str = ""
    op: str = ""
    values: list[str] = field(default_factory=list)  # choice kinds: the chosen codes
    text: str = ""  # words, pattern, hours; for actions: tag/text
    params: dict[str, Any] = field(default_factory=dict)  # action parameters as posted
    errors: list[str] = field(default_factory=list)
    # What the row's widgets offer (set by `row_widgets`): operators and choice options.
    op_choices: list[tuple[str, str]] = field(default_factory=list)
    options: list[tuple[str, str, bool]] = field(default_factory=list)

    @property
    def spec(self) -> CondField | None:
        return CONDITION_FIELDS.get(self.type)


def _choice_value(value: Any, options: list[tuple[str, str]]) -> str:
    """A stored id or name (either works for the engine) as the option code shown."""
    value = str(value)
    for code, label in options:
        if value.lower() in (code.lower(), label.lower()) or (
            label.lower().startswith(value.lower() + " (")
        ):
            return code
    return value


def condition_row(index: int, item: dict[str, Any], lookups: Lookups) -> Row:
    kind = item.get("type", "")
    spec = CONDITION_FIELDS[kind]
    negate = bool(item.get("not"))
    raw = item.get(spec.param)
    row = Row(index=index, type=kind)
    if spec.kind == "bool":
        row.op = "yes" if bool(raw if raw is not None else True) != negate else "no"
    elif kind == "has_tag":
        mode = item.get("mode", "any")
        row.op = {"any": "none", "none": "any", "all": "not_all"}[mode] if negate else mode
    else:
        row.op = spec.ops[1] if negate else spec.ops[0]
    if spec.kind == "choice":
        options = lookups.choice_lists()[spec.choices]
        row.values = [_choice_value(v, options) for v in raw or []]
    elif spec.kind == "words":
        row.text = ", ".join(str(v) for v in raw or [])
    elif spec.kind in ("pattern", "hours"):
        row.text = "" if raw is None else str(raw)
    return row


def action_row(index: int, item: dict[str, Any], lookups: Lookups) -> Row:
    kind = item.get("type", "")
    params = {k: v for k, v in item.items() if k != "type"}
    if kind == "set_team":
        params["team"] = _choice_value(params.get("team", ""), lookups.team_choices())
    if kind == "assign":
        params["assign"] = (
            f"agent:{params['agent']}"
            if "agent" in params
            else f"strategy:{params.get('strategy', 'auto')}"
        )
    if kind == "auto_reply":
        params["once"] = params.get("once", True)
    return Row(index=index, type=kind, params=params)


def rule_rows(
    conditions: list[dict], actions: list[dict], lookups: Lookups
) -> tuple[list[Row], list[Row]]:
    """A stored rule as the rows the editor shows."""
    conds = [
        condition_row(i, c, lookups)
        for i, c in enumerate(conditions)
        if isinstance(c, dict) and c.get("type") in CONDITION_FIELDS
    ]
    acts = [
        action_row(i, a, lookups)
        for i, a in enumerate(actions)
        if isinstance(a, dict) and a.get("type") in ACTIONS
    ]
    return conds, acts


def rule_unshown(conditions: list, actions: list) -> int:
    """How many stored items the rows cannot show (unknown types, say from a newer version):
    saving from this page would drop them, so the page refuses to."""
    return sum(
        1 for c in conditions if not isinstance(c, dict) or c.get("type") not in CONDITION_FIELDS
    ) + sum(1 for a in actions if not isinstance(a, dict) or a.get("type") not in ACTIONS)


_ROW_KEY = re.compile(r"^([ca])-(\d{1,4})-type$")


def _indices(data, prefix: str) -> list[int]:
    found = {int(m.group(2)) for k in data if (m := _ROW_KEY.match(k)) and m.group(1) == prefix}
    return sorted(found)


def _parse_condition(data, n: int, lookups: Lookups) -> tuple[Row, dict | None]:
    p = f"c-{n}-"
    row = Row(index=n, type=data.get(p + "type", ""), op=data.get(p + "op", ""))
    spec = row.spec
    if spec is None:
        row.errors.append(_("Choose what to check."))
        return row, None
    if row.op not in spec.ops:
        row.op = spec.ops[0]
    values = [v for v in data.getlist(p + "value") if v is not None]
    item: dict[str, Any] = {"type": row.type}
    if spec.kind == "choice":
        known = dict(lookups.choice_lists()[spec.choices])
        row.values = [v for v in values if v in known]
        unknown = [v for v in values if v not in known]
        if unknown:
            row.errors.append(_("Unknown value: %s.") % ", ".join(unknown))
        elif not row.values:
            row.errors.append(_("Choose at least one value."))
        item[spec.param] = [int(v) if v.isdigit() else v for v in row.values]
    elif spec.kind == "words":
        words = _split_words(values)
        row.text = ", ".join(words)
        if not words:
            row.errors.append(_("Type at least one word (separate several with commas)."))
        item[spec.param] = words
    elif spec.kind == "pattern":
        row.text = (values[0] if values else "").strip()
        if not row.text:
            row.errors.append(_("Type a regular expression."))
        item[spec.param] = row.text
    elif spec.kind == "hours":
        row.text = (values[0] if values else "").strip()
        try:
            hours = float(row.text.replace(",", "."))
        except ValueError:
            row.errors.append(_("Type a number of hours, e.g. 24."))
            hours = 0
        item[spec.param] = int(hours) if hours == int(hours) else hours
    if spec.kind == "bool":
        item[spec.param] = row.op == "yes"
    elif row.type == "has_tag":
        item["mode"] = "all" if row.op == "not_all" else row.op
    if row.op in NEGATIVE:
        item["not"] = True
    if not row.errors:
        try:  # the engine's own check, with its reason
            VALIDATORS[row.type]({k: v for k, v in item.items() if k not in ("type", "not")})
        except ValueError as exc:
            row.errors.append(engine_message(str(exc)))
    return row, (None if row.errors else item)


def _parse_action(data, n: int, lookups: Lookups) -> tuple[Row, dict | None]:
    p = f"a-{n}-"
    kind = data.get(p + "type", "")
    row = Row(index=n, type=kind)
    if kind not in ACTIONS:
        row.errors.append(_("Choose an action."))
        return row, None

    def get(name: str) -> str:
        return (data.get(p + name) or "").strip()

    item: dict[str, Any] = {"type": kind}
    if kind in ("add_tag", "remove_tag"):
        item["tag"] = row.params["tag"] = get("tag")
        if not item["tag"]:
            row.errors.append(_("Type the tag's name."))
    elif kind == "set_priority":
        item["priority"] = row.params["priority"] = get("priority")
        if data.get(p + "only_raise"):
            item["only_raise"] = row.params["only_raise"] = True
    elif kind == "set_team":
        row.params["team"] = get("team")
        if row.params["team"] not in dict(lookups.team_choices()):
            row.errors.append(_("Choose a team."))
        item["team"] = (
            int(row.params["team"]) if row.params["team"].isdigit() else row.params["team"]
        )
    elif kind == "assign":
        row.params["assign"] = choice = get("assign")
        how, _sep, value = choice.partition(":")
        if how == "agent" and value in lookups.agents:
            item["agent"] = value
        elif how == "strategy" and value in STRATEGIES:
            item["strategy"] = value
        else:
            row.errors.append(_("Choose an agent or a strategy."))
    elif kind == "auto_reply":
        item["text"] = row.params["text"] = get("text")
        row.params["once"] = bool(data.get(p + "once"))
        if not row.params["once"]:
            item["once"] = False
        if not item["text"]:
            row.errors.append(_("Write the reply."))
    elif kind == "set_status":
        item["status"] = row.params["status"] = get("status")
    elif kind == "notify":
        item["text"] = row.params["text"] = get("text")
        item["to"] = row.params["to"] = get("to") or "team"
        if not item["text"]:
            row.errors.append(_("Write the notification."))
    if not row.errors:
        try:
            ACTIONS[kind].validate({k: v for k, v in item.items() if k != "type"})
        except ValueError as exc:
            row.errors.append(engine_message(str(exc)))
    return row, (None if row.errors else item)


def row_widgets(row: Row, lookups: Lookups) -> Row:
    """Fill in what a condition row's operator and value widgets offer."""
    spec = row.spec
    if spec is None:
        return row
    row.op_choices = [(op, str(OPERATORS[op])) for op in spec.ops]
    if spec.kind == "choice":
        chosen = set(row.values)
        options = lookups.choice_lists()[spec.choices]
        row.options = [(code, label, code in chosen) for code, label in options]
        known = {code for code, _label in options}
        # a stored value that no longer exists (a deleted channel) stays visible
        row.options += [(v, v, True) for v in row.values if v not in known]
    return row


def blank_condition(index: int | str, kind: str, lookups: Lookups) -> Row:
    spec = CONDITION_FIELDS[kind]
    return row_widgets(Row(index=index, type=kind, op=spec.ops[0]), lookups)


def blank_action(index: int | str, kind: str) -> Row:
    params = {"once": True} if kind == "auto_reply" else {}
    if kind == "assign":
        params["assign"] = "strategy:auto"
    return Row(index=index, type=kind, params=params)


# --- the rule form ---------------------------------------------------------------------------


class RuleBasicsForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=200,
        error_messages={"required": gettext_lazy("Give the rule a name.")},
    )
    trigger = forms.ChoiceField(label=gettext_lazy("When"), choices=Trigger.choices)
    match = forms.ChoiceField(
        label=gettext_lazy("Match"),
        choices=[("all", gettext_lazy("all conditions")), ("any", gettext_lazy("any condition"))],
    )
    is_active = forms.BooleanField(label=gettext_lazy("Enabled"), required=False)
    stop_processing = forms.BooleanField(
        label=gettext_lazy("Stop after this rule when it matches"), required=False
    )


class RuleEditor:
    """The whole editor: basics, condition rows and action rows, validated together."""

    def __init__(self, data=None, *, lookups: Lookups, initial: dict | None = None):
        self.lookups = lookups
        self.bound = data is not None
        initial = initial or {"is_active": True, "trigger": Trigger.MESSAGE_RECEIVED}
        self.basics = RuleBasicsForm(data, initial=initial)
        self.conditions: list[dict] = []
        self.actions: list[dict] = []
        self.errors: dict[str, list[str]] = {}
        if data is None:
            self.condition_rows, self.action_rows = rule_rows(
                initial.get("conditions", []), initial.get("actions", []), lookups
            )
            for row in self.condition_rows:
                row_widgets(row, lookups)
            return
        self.condition_rows, self.action_rows = [], []
        for n in _indices(data, "c"):
            if not data.get(f"c-{n}-type"):
                continue  # an empty row: removed (or never filled in)
            row, item = _parse_condition(data, n, lookups)
            self.condition_rows.append(row)
            self.conditions.append(item)
        for n in _indices(data, "a"):
            if not data.get(f"a-{n}-type"):
                continue
            row, item = _parse_action(data, n, lookups)
            self.action_rows.append(row)
            self.actions.append(item)
        for row in self.condition_rows:
            row_widgets(row, lookups)

    def is_valid(self, *, dry_run: bool = False) -> bool:
        """All fields and rows check out. A dry run does not need a name yet."""
        ok = self.basics.is_valid()
        if not ok and dry_run and set(self.basics.errors) == {"name"}:
            self.basics.errors.pop("name")
            self.basics.cleaned_data["name"] = ""
            ok = True
        rows_ok = not any(r.errors for r in self.condition_rows + self.action_rows)
        if rows_ok:
            try:  # the same check the engine and the Django admin use
                rule_validate(conditions=self.conditions, actions=self.actions)
            except RuleInvalid as exc:
                self.errors.setdefault(exc.field, []).append(
                    _("Add at least one action.") if exc.field == "actions" else exc.message
                )
                rows_ok = False
        return ok and rows_ok

    @property
    def cleaned_data(self) -> dict[str, Any]:
        return {
            **self.basics.cleaned_data,
            "conditions": self.conditions,
            "actions": self.actions,
        }

    def next_index(self, rows: list[Row]) -> int:
        return max((int(r.index) for r in rows), default=-1) + 1


# --- the sample message of a dry run ---------------------------------------------------------


class DryRunForm(forms.Form):
    """A message to test rules on. Prefix "dr" keeps it apart from the rule's fields."""

    text = forms.CharField(
        label=gettext_lazy("Message text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    channel = forms.TypedChoiceField(
        label=gettext_lazy("Channel"), required=False, coerce=int, empty_value=None
    )
    customer_is_repeat = forms.BooleanField(label=gettext_lazy("Repeat customer"), required=False)
    customer_tags = forms.CharField(
        label=gettext_lazy("Customer tags"), required=False, help_text=gettext_lazy("e.g. vip")
    )
    customer_language = forms.CharField(
        label=gettext_lazy("Customer language"), required=False, max_length=10
    )
    business_hours = forms.ChoiceField(
        label=gettext_lazy("Business hours"),
        choices=[
            ("now", gettext_lazy("as now")),
            ("yes", gettext_lazy("inside")),
            ("no", gettext_lazy("outside")),
        ],
    )
    priority = forms.ChoiceField(
        label=gettext_lazy("Current priority"), choices=Priority.choices, initial=Priority.NORMAL
    )
    status = forms.ChoiceField(label=gettext_lazy("Current status"), choices=Status.choices)
    team = forms.TypedChoiceField(
        label=gettext_lazy("Current team"), required=False, coerce=int, empty_value=None
    )
    tags = forms.CharField(label=gettext_lazy("Current ticket tags"), required=False)
    assigned = forms.BooleanField(label=gettext_lazy("Assigned"), required=False)
    status_age_hours = forms.FloatField(
        label=gettext_lazy("Hours in this status"), required=False, min_value=0
    )

    def __init__(self, *args, lookups: Lookups, **kwargs):
        kwargs.setdefault("prefix", "dr")
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [("", "—"), *lookups.channels.items()]
        self.fields["team"].choices = [("", _("no team")), *lookups.teams.items()]

    def sample(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "text": d["text"],
            "channel_id": d["channel"],
            "customer_is_repeat": d["customer_is_repeat"],
            "customer_tags": _split_words([d["customer_tags"]]),
            "customer_language": d["customer_language"].strip(),
            "business_hours": {"now": None, "yes": True, "no": False}[d["business_hours"]],
            "priority": d["priority"],
            "status": d["status"],
            "team_id": d["team"],
            "tags": _split_words([d["tags"]]),
            "assigned": d["assigned"],
            "status_age_hours": d["status_age_hours"],
        }
