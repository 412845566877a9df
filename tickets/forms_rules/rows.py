"""Condition and action rows: a stored rule as rows, posted rows back to the engine's JSON.

Each row is checked by the engine's own validator for its type; the message is kept on the
row so the page can show it there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from tickets.forms_rules.catalogue import (
    CONDITION_FIELDS,
    NEGATIVE,
    OPERATORS,
    CondField,
    Lookups,
    engine_message,
    split_words,
)
from tickets.rules.actions import ACTIONS, STRATEGIES
from tickets.rules.conditions import VALIDATORS

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


def row_indices(data, prefix: str) -> list[int]:
    found = {int(m.group(2)) for k in data if (m := _ROW_KEY.match(k)) and m.group(1) == prefix}
    return sorted(found)


def parse_condition(data, n: int, lookups: Lookups) -> tuple[Row, dict | None]:
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
        words = split_words(values)
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
        mode = "all" if row.op == "not_all" else row.op
        if mode != "any":  # the engine's default stays implicit, as rules are usually stored
            item["mode"] = mode
    if row.op in NEGATIVE:
        item["not"] = True
    if not row.errors:
        try:  # the engine's own check, with its reason
            VALIDATORS[row.type]({k: v for k, v in item.items() if k not in ("type", "not")})
        except ValueError as exc:
            row.errors.append(engine_message(str(exc)))
    return row, (None if row.errors else item)


def parse_action(data, n: int, lookups: Lookups) -> tuple[Row, dict | None]:
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
