"""Django admin for the ticket data model. Changes that carry rules go through services."""

import secrets

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from helpdesk.login_throttle import ThrottledAdminAuthenticationForm
from tickets.models import (
    AgentProfile,
    Attachment,
    CannedResponse,
    Channel,
    Customer,
    CustomerIdentity,
    Message,
    Tag,
    Team,
    Ticket,
    TicketEvent,
    WorkspaceSettings,
)

SECRET_MASK = "********"  # noqa: S105 (what the form shows instead of a secret)
SECRET_KEY_PARTS = ("token", "secret", "password", "passwd", "key")


def _is_secret_key(key) -> bool:
    return any(part in str(key).lower() for part in SECRET_KEY_PARTS)


def config_masked(value):
    """A channel's config with every token-like value replaced by the mask."""
    if isinstance(value, dict):
        return {
            k: SECRET_MASK if _is_secret_key(k) and v not in ("", None) else config_masked(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [config_masked(v) for v in value]
    return value


def config_unmasked(new, old):
    """The submitted config with each value still showing the mask put back as stored."""
    if isinstance(new, dict):
        old = old if isinstance(old, dict) else {}
        return {
            k: old.get(k, "") if v == SECRET_MASK else config_unmasked(v, old.get(k))
            for k, v in new.items()
        }
    if isinstance(new, list):
        old = old if isinstance(old, list) else []
        return [config_unmasked(v, old[i] if i < len(old) else None) for i, v in enumerate(new)]
    return new


class ChannelAdminForm(forms.ModelForm):
    """Credentials are write-only: the secret is never shown (type a new one to replace it)
    and token-like config values show as a mask that, left as is, keeps the stored value."""

    new_secret = forms.CharField(
        label=_("New secret"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Leave empty to keep the current secret (generated for a new channel). "
            "Secrets are never shown after saving."
        ),
    )

    class Meta:
        model = Channel
        fields = ["kind", "name", "config", "is_active", "created_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "config" in self.fields:
            self.initial["config"] = config_masked(self.instance.config or {})

    def clean_config(self):
        config = self.cleaned_data.get("config")
        if self.instance.pk:
            return config_unmasked(config, self.instance.config or {})
        return config

    def save(self, commit=True):
        channel = super().save(commit=False)
        new = self.cleaned_data.get("new_secret")
        if new:
            channel.secret = new
        elif not channel.secret:
            channel.secret = secrets.token_urlsafe(32)
        if commit:
            channel.save()
        return channel


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    form = ChannelAdminForm
    list_display = ["name", "kind", "is_active", "created_at"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]


class IdentityInline(admin.TabularInline):
    model = CustomerIdentity
    extra = 0
    fields = ["channel", "external_id", "display_name", "username", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["channel"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email", "phone", "language", "created_at"]
    search_fields = ["name", "email", "phone", "external_id", "identities__external_id"]
    inlines = [IdentityInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ["__str__", "online_state", "capacity", "last_seen_at"]
    list_filter = ["online_state", "teams"]
    filter_horizontal = ["teams"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "color"]
    search_fields = ["name"]


class MessageInline(admin.StackedInline):
    model = Message
    extra = 0
    can_delete = False
    fields = [
        "direction",
        "author_kind",
        "author",
        "is_internal",
        "text",
        "delivery_status",
        "delivery_error",
        "sent_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "actor_label", "data"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["id", "subject", "customer", "channel", "status", "priority", "assignee"]
    list_filter = ["status", "priority", "channel", "team", "tags"]
    search_fields = ["id", "subject", "customer__name", "customer__email"]
    list_select_related = ["customer", "channel", "assignee"]
    raw_id_fields = ["customer", "assignee"]
    # Status, assignment and timestamps change through the workspace so events and SLA follow.
    readonly_fields = [
        "status",
        "priority",
        "priority_rank",
        "assignee",
        "created_at",
        "updated_at",
        "first_customer_message_at",
        "last_customer_message_at",
        "first_response_at",
        "last_agent_message_at",
        "solved_at",
        "closed_at",
        "reopen_count",
        "agent_reply_count",
        "last_message_preview",
    ]
    inlines = [MessageInline, EventInline]
    date_hierarchy = "created_at"


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["id", "ticket", "direction", "author_kind", "delivery_status", "created_at"]
    list_filter = ["direction", "author_kind", "delivery_status", "channel"]
    search_fields = ["text", "external_id"]
    list_select_related = ["ticket"]
    raw_id_fields = ["ticket", "author"]
    readonly_fields = [f.name for f in Message._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["filename", "content_type", "size", "message"]
    raw_id_fields = ["message"]


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ["title", "shortcut", "team"]
    search_fields = ["title", "shortcut", "body"]
    list_filter = ["team"]


@admin.register(TicketEvent)
class TicketEventAdmin(admin.ModelAdmin):
    """Append-only: nobody adds, edits or deletes history by hand."""

    list_display = ["created_at", "ticket", "kind", "actor_label"]
    list_filter = ["kind"]
    raw_id_fields = ["ticket", "actor"]
    readonly_fields = ["ticket", "kind", "actor", "actor_label", "data", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WorkspaceSettings)
class WorkspaceSettingsAdmin(admin.ModelAdmin):
    """One row of site-wide switches: it can be changed, never added twice or deleted."""

    list_display = ["__str__", "restrict_operators_to_teams"]

    def has_add_permission(self, request):
        return not WorkspaceSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.site_header = _("Help desk administration")
admin.site.login_form = ThrottledAdminAuthenticationForm
admin.site.site_title = _("Help desk")
