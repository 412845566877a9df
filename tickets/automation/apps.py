from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    """Rules, routing, self-service menus and bot answers (tables of their own).

    Listed after `sla` in INSTALLED_APPS so its subscribers run after SLA clocks exist.
    """

    name = "tickets.automation"
    label = "automation"
    verbose_name = _("Automation")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tickets.automation import receivers

        receivers.connect()
