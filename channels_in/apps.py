from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsInConfig(AppConfig):
    name = "channels_in"
    verbose_name = _("Channels")

    def ready(self) -> None:
        from channels_in import receivers, registry
        from tickets import senders

        receivers.connect()
        from channels_in import monitoring
        from helpdesk import prometheus

        prometheus.register("inbound", monitoring.collect)
        for kind, adapter in registry.ADAPTERS.items():
            senders.register(kind, adapter.send)
