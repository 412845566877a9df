"""Admin for automation: ordered rules with validated JSON and a dry run, routing, menus, KB."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from tickets.automation.models import (
    AgentSkills,
    BotSession,
    ChannelSettings,
    KnowledgeArticle,
    Rule,
    TeamRouting,
    Trigger,
    _actions_help,
    _conditions_help,
)
from tickets.models import Channel, Priority, Status
from tickets.rules.dry_run import rules_dry_run


class PrettyJSONWidget(forms.Textarea):
    def format_value(self, value):
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return value
        return json.dumps(value, ensure_ascii=False, indent=2)


class RuleForm(forms.ModelForm):
    class Meta:
        model = Rule
        fields = [
            "name",
            "is_active",
            "position",
            "trigger",
            "match",
            "conditions",
            "actions",
            "stop_processing",
        ]
        widgets = {
            "conditions": PrettyJSONWidget(attrs={"rows": 8, "cols": 90}),
            "actions": PrettyJSONWidget(attrs={"rows": 6, "cols": 90}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["conditions"].help_text = _conditions_help()
        self.fields["actions"].help_text = _actions_help()


class DryRunForm(forms.Form):
    text = forms.CharField(label=_("Message text"), widget=forms.Textarea(attrs={"rows": 4}))
    trigger = forms.ChoiceField(
        label=_("Trigger"), choices=Trigger.choices, initial=Trigger.MESSAGE_RECEIVED
    )
    channel = forms.ModelChoiceField(
        label=_("Channel"), queryset=Channel.objects.all(), required=False
    )
    customer_is_repeat = forms.BooleanField(label=_("Repeat customer"), required=False)
    customer_tags = forms.CharField(
        label=_("Customer tags"), required=False, help_text=_("Comma-separated, e.g. vip")
    )
    customer_language = forms.CharField(label=_("Customer language"), required=False)
    business_hours = forms.ChoiceField(
        label=_("Business hours"),
        choices=[("now", _("as now")), ("yes", _("inside")), ("no", _("outside"))],
    )
    priority = forms.ChoiceField(
        label=_("Current priority"), choices=Priority.choices, initial=Priority.NORMAL
    )
    status = forms.ChoiceField(label=_("Current status"), choices=Status.choices)
    tags = forms.CharField(label=_("Current ticket tags"), required=False)


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    form = RuleForm
    list_display = ["position", "name", "trigger", "is_active", "stop_processing", "dry_run"]
    list_display_links = ["name"]
    list_editable = ["position", "is_active"]
    list_filter = ["trigger", "is_active"]
    search_fields = ["name"]
    ordering = ["trigger", "position", "id"]

    @admin.display(description=_("Dry run"))
    def dry_run(self, obj: Rule) -> str:
        url = reverse("admin:automation_rule_dry_run_one", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("test"))

    def get_urls(self):
        urls = [
            path(
                "dry-run/",
                self.admin_site.admin_view(self.dry_run_view),
                name="automation_rule_dry_run",
            ),
            path(
                "<int:rule_id>/dry-run/",
                self.admin_site.admin_view(self.dry_run_view),
                name="automation_rule_dry_run_one",
            ),
        ]
        return urls + super().get_urls()

    def dry_run_view(self, request, rule_id: int | None = None):
        """Test rules on a message: which conditions match, which actions would run.
        Reads only; nothing is written."""
        rule = Rule.objects.filter(pk=rule_id).first() if rule_id else None
        initial = {"trigger": rule.trigger} if rule else {}
        form = DryRunForm(request.POST or None, initial=initial)
        results = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            results = rules_dry_run(
                text=data["text"],
                trigger=data["trigger"],
                channel=data["channel"],
                customer_is_repeat=data["customer_is_repeat"],
                customer_tags=_split(data["customer_tags"]),
                customer_language=data["customer_language"],
                business_hours={"now": None, "yes": True, "no": False}[data["business_hours"]],
                priority=data["priority"],
                status=data["status"],
                tags=_split(data["tags"]),
                rule_ids=[rule.pk] if rule else None,
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Test rule “%s” on a message") % rule.name
            if rule
            else _("Test the rules on a message"),
            "form": form,
            "rule": rule,
            "results": results,
        }
        return TemplateResponse(request, "admin/automation/rule/dry_run.html", context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = extra_context or {}
        if object_id:
            extra_context["dry_run_url"] = reverse(
                "admin:automation_rule_dry_run_one", args=[object_id]
            )
        return super().changeform_view(request, object_id, form_url, extra_context)


def _split(value: str) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


@admin.register(TeamRouting)
class TeamRoutingAdmin(admin.ModelAdmin):
    list_display = ["team", "strategy", "sticky", "skills_strict", "default_for_purpose"]
    list_editable = ["strategy", "sticky", "skills_strict", "default_for_purpose"]
    exclude = ["last_agent"]


@admin.register(AgentSkills)
class AgentSkillsAdmin(admin.ModelAdmin):
    list_display = ["agent"]
    filter_horizontal = ["tags"]


class ChannelSettingsForm(forms.ModelForm):
    class Meta:
        model = ChannelSettings
        fields = [
            "channel",
            "purpose",
            "default_team",
            "menu",
            "menu_on_new_ticket",
            "bot_answers",
            "after_hours_reply",
        ]
        widgets = {"menu": PrettyJSONWidget(attrs={"rows": 14, "cols": 90})}


@admin.register(ChannelSettings)
class ChannelSettingsAdmin(admin.ModelAdmin):
    form = ChannelSettingsForm
    list_display = ["channel", "purpose", "default_team", "menu_on_new_ticket", "bot_answers"]


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(admin.ModelAdmin):
    list_display = ["question", "language", "is_active", "updated_at"]
    list_filter = ["language", "is_active"]
    search_fields = ["question", "keywords", "answer"]


@admin.register(BotSession)
class BotSessionAdmin(admin.ModelAdmin):
    list_display = ["ticket", "state", "updated_at"]
    readonly_fields = ["ticket", "state", "menu_path", "article", "updated_at"]
