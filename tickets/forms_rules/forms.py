"""The rule editor (basics plus rows, validated together) and the dry run's sample message."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.automation.models import Trigger
from tickets.forms_rules.catalogue import Lookups, split_words
from tickets.forms_rules.rows import (
    Row,
    parse_action,
    parse_condition,
    row_indices,
    row_widgets,
    rule_rows,
)
from tickets.models import Priority, Status
from tickets.rules.engine import RuleInvalid, rule_validate

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
        for n in row_indices(data, "c"):
            if not data.get(f"c-{n}-type"):
                continue  # an empty row: removed (or never filled in)
            row, item = parse_condition(data, n, lookups)
            self.condition_rows.append(row)
            self.conditions.append(item)
        for n in row_indices(data, "a"):
            if not data.get(f"a-{n}-type"):
                continue
            row, item = parse_action(data, n, lookups)
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
            "customer_tags": split_words([d["customer_tags"]]),
            "customer_language": d["customer_language"].strip(),
            "business_hours": {"now": None, "yes": True, "no": False}[d["business_hours"]],
            "priority": d["priority"],
            "status": d["status"],
            "team_id": d["team"],
            "tags": split_words([d["tags"]]),
            "assigned": d["assigned"],
            "status_age_hours": d["status_age_hours"],
        }
