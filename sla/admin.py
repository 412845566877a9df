"""Admin for SLA policies and calendars. Saving one recomputes the open clocks it governs."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from sla import services
from sla.models import (
    BusinessCalendar,
    BusinessInterval,
    CalendarDay,
    EscalationStep,
    SlaClock,
    SlaEvent,
    SlaPolicy,
    StuckStatusRule,
)


class BusinessIntervalInline(admin.TabularInline):
    model = BusinessInterval
    extra = 0


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "updated_at"]
    inlines = [BusinessIntervalInline, CalendarDayInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change:
            services.sla_calendar_recompute(calendar_id=form.instance.pk)


class EscalationStepInline(admin.TabularInline):
    model = EscalationStep
    extra = 0
    fields = ["level", "after_minutes", "position", "metric", "action", "tag", "team"]


class StuckStatusRuleInline(admin.TabularInline):
    model = StuckStatusRule
    extra = 0


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name", "position", "is_active", "first_response_minutes", "next_response_minutes",
        "resolution_minutes", "business_hours", "calendar",
    ]  # fmt: skip
    list_editable = ["position", "is_active"]
    filter_horizontal = ["teams", "tags"]
    inlines = [EscalationStepInline, StuckStatusRuleInline]
    fieldsets = [
        (None, {"fields": ["name", "position", "is_active"]}),
        (_("Conditions (all must hold; empty = any)"),
         {"fields": ["priorities", "channel_kinds", "teams", "tags"]}),
        (_("Targets in minutes (empty = none)"),
         {"fields": ["first_response_minutes", "next_response_minutes", "resolution_minutes",
                     "business_hours", "calendar", "warn_percent"]}),
    ]  # fmt: skip

    def save_related(self, request, form, formsets, change):
        # After the M2M conditions and inlines are stored, so the recompute sees all of it.
        super().save_related(request, form, formsets, change)
        if change:
            services.sla_policy_recompute(policy=form.instance)


@admin.register(SlaClock)
class SlaClockAdmin(admin.ModelAdmin):
    list_display = ["ticket", "metric", "status", "due_at", "cycle", "policy", "escalation_level"]
    list_filter = ["status", "metric", "policy"]
    raw_id_fields = ["ticket"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SlaEvent)
class SlaEventAdmin(admin.ModelAdmin):
    list_display = ["ticket", "metric", "kind", "level", "created_at", "done_at"]
    list_filter = ["kind", "metric"]
    raw_id_fields = ["ticket", "clock"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
