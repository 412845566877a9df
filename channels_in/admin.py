from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from channels_in.models import EventStatus, InboundEvent
from channels_in.services import inbound_event_process
from helpdesk.roles import ADMIN, has_role


@admin.register(InboundEvent)
class InboundEventAdmin(admin.ModelAdmin):
    """The raw journal. Read-only; failed rows can be processed again."""

    list_display = ["id", "channel", "dedupe_key", "status", "attempts", "received_at"]
    list_filter = ["status", "channel"]
    search_fields = ["dedupe_key", "error"]
    list_select_related = ["channel"]
    readonly_fields = [
        "channel",
        "dedupe_key",
        "body_text",
        "headers",
        "status",
        "error",
        "attempts",
        "received_at",
        "processed_at",
    ]
    exclude = ["body"]
    actions = ["reprocess"]

    @admin.display(description=_("body"))
    def body_text(self, event: InboundEvent) -> str:
        return bytes(event.body)[:20000].decode("utf-8", errors="replace")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)

    def has_reprocess_permission(self, request) -> bool:
        return has_role(request.user, ADMIN)

    @admin.action(description=_("Process selected events again"), permissions=["reprocess"])
    def reprocess(self, request, queryset):
        done = 0
        for event_id in queryset.filter(
            status__in=[EventStatus.FAILED, EventStatus.RECEIVED]
        ).values_list("pk", flat=True):
            inbound_event_process(event_id=event_id)
            done += 1
        text = ngettext("%(n)d event processed again.", "%(n)d events processed again.", done) % {
            "n": done
        }
        self.message_user(request, text, messages.INFO)
