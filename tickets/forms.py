"""Forms of the operator workspace. They validate input; the services do the writes."""

from __future__ import annotations

from django import forms
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
