from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = _("SLA")

    def ready(self) -> None:
        from sla import receivers, rules_provider

        receivers.connect()
        rules_provider.connect()  # business hours for the rules engine
        from helpdesk import prometheus
        from sla import monitoring

        prometheus.register("sla", monitoring.collect)
