"""Django admin for the ticket data model. Changes that carry rules go through services."""

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


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
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
