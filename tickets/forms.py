"""Forms of the operator workspace. They validate input; the services do the writes."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from tickets.models import Priority, Status

REPLY = "reply"
NOTE = "note"


class ReplyForm(forms.Form):
    mode = forms.ChoiceField(
        choices=[(REPLY, _("Reply")), (NOTE, _("Internal note"))],
        initial=REPLY,
        widget=forms.RadioSelect,
    )
    # The newest public message the operator saw when the page rendered, and whether they
    # confirmed sending although someone replied meanwhile.
    last_seen = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=False)
    text = forms.CharField(
        label=_("Message"),
        strip=True,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write something before sending.")},
    )

    @property
    def is_internal(self) -> bool:
        return self.cleaned_data.get("mode") == NOTE


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)


class AssignForm(forms.Form):
    """`assignee` is a user id, "me", or empty for nobody."""

    assignee = forms.CharField(label=_("Assignee"), required=False)

    def __init__(self, *args, operators, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.operators = operators
        self.user = user

    def clean_assignee(self):
        value = (self.cleaned_data.get("assignee") or "").strip()
        if value in ("", "none"):
            return None
        if value == "me":
            value = str(self.user.pk)
        if not value.isdigit():
            raise forms.ValidationError(_("Choose an operator from the list."))
        found = self.operators.filter(pk=int(value)).first()
        if found is None:
            raise forms.ValidationError(_("Choose an operator from the list."))
        return found


BULK_ACTIONS = [
    ("assign", _("Assign")),
    ("tag", _("Add tag")),
    ("status", _("Set status")),
    ("merge", _("Merge")),
]


class BulkForm(forms.Form):
    """Selected queue rows and one action. `value` depends on the action: an assignee
    ("me", "none" or a user id), a tag id, or a status; merge needs none."""

    tickets = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=True)
    action = forms.ChoiceField(choices=BULK_ACTIONS)
    value = forms.CharField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        raw = self.data.getlist("tickets") if hasattr(self.data, "getlist") else []
        self.fields["tickets"].choices = [(v, v) for v in raw if str(v).isdigit()][:200]
        self.fields["tickets"].error_messages["required"] = _("Select at least one ticket.")


class TagsForm(forms.Form):
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=500, help_text=_("comma-separated")
    )

    def tag_names(self) -> list[str]:
        raw = self.cleaned_data.get("tags") or ""
        names = [n.strip()[:60] for n in raw.split(",")]
        return list(dict.fromkeys(n for n in names if n))


class TeamForm(forms.Form):
    team = forms.IntegerField(label=_("Team"), required=False, min_value=1)


class MergeForm(forms.Form):
    target = forms.IntegerField(
        label=_("Merge into ticket #"),
        min_value=1,
        error_messages={"required": _("Enter the number of the ticket to merge into.")},
    )


class CustomerNotesForm(forms.Form):
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=10000, widget=forms.Textarea
    )


class CustomerLinkForm(forms.Form):
    other = forms.IntegerField(
        label=_("Customer id or ticket number"),
        min_value=1,
        error_messages={"required": _("Enter the other customer's id.")},
    )
    by = forms.ChoiceField(
        choices=[("ticket", _("Ticket number")), ("customer", _("Customer id"))],
        initial="ticket",
        required=False,
    )


class WorkSessionForm(forms.Form):
    """One beacon from the workspace: times are epoch milliseconds from the browser."""

    ticket = forms.IntegerField(min_value=1)
    sid = forms.CharField(max_length=64)
    start = forms.IntegerField(min_value=0)
    end = forms.IntegerField(min_value=0)
    reason = forms.CharField(max_length=20, required=False)


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), required=False)
    timezone = forms.CharField(label=_("Time zone"), required=False, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("As the browser")), *settings.LANGUAGES]

    def clean_timezone(self):
        value = (self.cleaned_data.get("timezone") or "").strip()
        if value and value not in zoneinfo.available_timezones():
            raise forms.ValidationError(_("Choose a time zone from the list."))
        return value
