from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """Append-only log of who changed configuration or took data out, and when.

    Not domain-specific: an entry names its target by model label and primary key, so any
    app may record into it without this app importing that app.
    """

    name = "helpdesk.audit"
    label = "audit"
    verbose_name = _("Audit log")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.admin.models import LogEntry
        from django.db.models.signals import post_save

        from helpdesk.audit.receivers import admin_change_audited

        post_save.connect(admin_change_audited, sender=LogEntry, dispatch_uid="audit-admin")
