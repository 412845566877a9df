"""Rate limits of the API, per token (or per signed-in user).

The rate comes from settings (environment: API_RATE_USER), read on each request so an operator
can change it without code and tests can lower it. Anonymous requests are refused before any
limit applies; the token endpoint has its own per-address limit (scope "token").
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
            return None
        token = getattr(request, "auth", None)
        key = getattr(token, "key", None)
        ident = f"token:{key[:12]}" if key else f"user:{user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
