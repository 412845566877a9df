import os
import sys

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class HelpdeskConfig(AppConfig):
    name = "helpdesk"
    verbose_name = "Help desk"

    def ready(self) -> None:
        from django.conf import settings

        from helpdesk.roles import roles_sync

        post_migrate.connect(roles_sync, dispatch_uid="helpdesk.roles_sync")

        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from helpdesk import login_throttle

        user_login_failed.connect(login_throttle.on_login_failed, dispatch_uid="login-failed")
        user_logged_in.connect(login_throttle.on_logged_in, dispatch_uid="login-ok")

        # `runserver` forks a reloader parent; only the serving child (RUN_MAIN) ticks.
        serving = "runserver" in sys.argv and os.environ.get("RUN_MAIN") == "true"
        if settings.TICKER_ENABLED and serving:
            from helpdesk import ticker

            ticker.start()
