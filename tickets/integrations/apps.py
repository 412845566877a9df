from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    """Outbound webhooks (subscriptions, signed deliveries, the delivery log)."""

    name = "tickets.integrations"
    label = "integrations"
    verbose_name = _("Integrations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tickets.integrations import receivers

        receivers.connect()
