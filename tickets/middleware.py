"""The signed-in agent's own language and time zone, on every page (workspace, dashboards,
admin). Cached in the session, so a request costs no query for them."""

from __future__ import annotations

import zoneinfo

from django.utils import timezone, translation

from tickets.selectors import agent_preferences

PREFS_SESSION_KEY = "agent_prefs"


def activate_preferences(request) -> None:
    prefs = request.session.get(PREFS_SESSION_KEY)
    if prefs is None:
        language, tz = agent_preferences(user=request.user)
        prefs = {"language": language, "timezone": tz}
        request.session[PREFS_SESSION_KEY] = prefs
    if prefs.get("language"):
        translation.activate(prefs["language"])
        request.LANGUAGE_CODE = prefs["language"]
    if prefs.get("timezone"):
        try:
            timezone.activate(zoneinfo.ZoneInfo(prefs["timezone"]))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()


class AgentPreferencesMiddleware:
    """After authentication and LocaleMiddleware: the agent's choice wins over the browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            activate_preferences(request)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
