"""An operator's own preferences: interface language and time zone."""

from __future__ import annotations

import zoneinfo

from django.conf import settings

from helpdesk.exceptions import ApplicationError
from tickets.models import AgentProfile


class PreferenceInvalid(ApplicationError):
    code = "preference_invalid"


def agent_set_preferences(*, user, language: str, time_zone: str) -> AgentProfile:
    if language and language not in dict(settings.LANGUAGES):
        raise PreferenceInvalid(f"Unknown language {language!r}.")
    if time_zone and time_zone not in zoneinfo.available_timezones():
        raise PreferenceInvalid(f"Unknown time zone {time_zone!r}.")
    profile, _created = AgentProfile.objects.get_or_create(user=user)
    profile.language = language
    profile.timezone = time_zone
    profile.save(update_fields=["language", "timezone"])
    return profile
