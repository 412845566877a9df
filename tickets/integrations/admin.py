"""Webhook subscriptions and their delivery log in the Django admin (admins only).

Writes go through the services: the secret is generated on creation and shown once in a
message, rotated by an action; deliveries are read-only and can be sent again.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from helpdesk.exceptions import ApplicationError
from helpdesk.roles import ADMIN, has_role
from tickets.integrations.models import EventType, WebhookDelivery, WebhookSubscription
from tickets.integrations.services import (
    webhook_ping,
    webhook_redeliver,
    webhook_secret_rotate,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_update,
)


class _AdminRoleOnly:
    """Only the admin role (or a superuser) sees and edits integrations."""

    def has_module_permission(self, request) -> bool:
        return request.user.is_staff and has_role(request.user, ADMIN)

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=1000, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        label=_("events"), choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscription
        fields = ["url", "description", "event_types", "is_active"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(_AdminRoleOnly, admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ["__str__", "url", "is_active", "consecutive_failures", "disabled_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    readonly_fields = [
        "created_by",
        "created_at",
        "updated_at",
        "secret_rotated_at",
        "consecutive_failures",
        "failing_since",
        "disabled_at",
        "disabled_reason",
    ]
    actions = ["rotate_secret", "send_ping"]

    def save_model(self, request, obj, form, change) -> None:
        data = {name: form.cleaned_data[name] for name in SubscriptionForm.Meta.fields}
        try:
            if change:
                saved = webhook_subscription_update(
                    subscription=obj, actor=request.user, request=request, **data
                )
            else:
                saved = webhook_subscription_create(
                    created_by=request.user, request=request, **data
                )
                self.message_user(
                    request,
                    _("Secret of the new subscription (shown only now): %(secret)s")
                    % {"secret": saved.secret},
                    messages.WARNING,
                )
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        obj.pk = saved.pk

    def delete_model(self, request, obj) -> None:
        webhook_subscription_delete(subscription=obj, actor=request.user, request=request)

    def delete_queryset(self, request, queryset) -> None:
        for subscription in queryset:
            self.delete_model(request, subscription)

    @admin.action(description=_("Rotate the secret (the new one is shown once)"))
    def rotate_secret(self, request, queryset) -> None:
        for subscription in queryset:
            rotated = webhook_secret_rotate(
                subscription=subscription, actor=request.user, request=request
            )
            self.message_user(
                request,
                _("New secret of %(name)s (shown only now): %(secret)s")
                % {"name": rotated, "secret": rotated.secret},
                messages.WARNING,
            )

    @admin.action(description=_("Send a test ping"))
    def send_ping(self, request, queryset) -> None:
        for subscription in queryset:
            webhook_ping(subscription=subscription, actor=request.user)
        self.message_user(request, _("Ping queued; see the delivery log."), messages.INFO)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(_AdminRoleOnly, admin.ModelAdmin):
    list_display = [
        "created_at",
        "event",
        "subscription",
        "status",
        "attempts",
        "response_code",
        "duration_ms",
        "next_attempt_at",
    ]
    list_filter = ["status", "event"]
    list_select_related = ["subscription"]
    search_fields = ["id"]
    actions = ["redeliver"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Send again"))
    def redeliver(self, request, queryset) -> None:
        for delivery in queryset:
            try:
                webhook_redeliver(delivery=delivery, actor=request.user, request=request)
            except ApplicationError as exc:
                self.message_user(request, f"{delivery.pk}: {exc.message}", messages.ERROR)
