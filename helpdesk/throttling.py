"""Rate limits of the API, per token (or per signed-in user) and per address when anonymous.

Rates come from settings (environment: API_RATE_USER, API_RATE_ANON), read on each request so
an operator can change them without code and tests can lower them.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class _SettingsRateThrottle(SimpleRateThrottle):
    setting = ""

    def get_rate(self) -> str | None:
        return getattr(settings, self.setting, None) or None


class ApiUserRateThrottle(_SettingsRateThrottle):
    """One budget per API token; session users share one budget per account."""

    scope = "api_user"
    setting = "API_RATE_USER"

    def get_cache_key(self, request, view) -> str | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None  # counted by ApiAnonRateThrottle
        token = getattr(request, "auth", None)
        key = getattr(token, "key", None)
        ident = f"token:{key[:12]}" if key else f"user:{user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ApiAnonRateThrottle(_SettingsRateThrottle):
    scope = "api_anon"
    setting = "API_RATE_ANON"

    def get_cache_key(self, request, view) -> str | None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
