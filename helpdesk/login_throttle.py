"""Login throttling against password guessing, per username and per client address.

After LOGIN_FAILURE_LIMIT failed attempts within LOGIN_FAILURE_WINDOW seconds, logins for
that username (or from that address) are refused with a clear message until the window
ends, even with the right password. Counters live in the Django cache (Redis in
production, so every web process shares them). A successful login clears the username's
counter, never the address's: one known account must not unlock guessing at the others.
"""

from __future__ import annotations

import hashlib

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.utils.translation import ngettext

PREFIX = "login-failures"


def _limit() -> int:
    return int(getattr(settings, "LOGIN_FAILURE_LIMIT", 5))


def _window() -> int:
    return int(getattr(settings, "LOGIN_FAILURE_WINDOW", 15 * 60))


def client_address(request) -> str:
    """The client's address: nginx's X-Real-IP only when we run behind our own proxy."""
    if request is None:
        return ""
    if settings.BEHIND_PROXY:
        real = request.headers.get("X-Real-IP", "")[:64]
        if real:
            return real
    return request.META.get("REMOTE_ADDR", "") or ""


def _keys(username: str | None, address: str) -> list[str]:
    keys = []
    if username:
        digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
        keys.append(f"{PREFIX}:user:{digest}")
    if address:
        keys.append(f"{PREFIX}:ip:{address}")
    return keys


def login_locked(*, username: str | None, request) -> bool:
    keys = _keys(username, client_address(request))
    counts = cache.get_many(keys)
    return any(int(count) >= _limit() for count in counts.values())


def login_failure_record(*, username: str | None, request) -> None:
    for key in _keys(username, client_address(request)):
        # add() starts the window on the first failure; incr() keeps its expiry.
        if not cache.add(key, 1, timeout=_window()):
            try:
                cache.incr(key)
            except ValueError:  # expired between add() and incr()
                cache.add(key, 1, timeout=_window())


def login_success_record(*, username: str | None) -> None:
    cache.delete_many(_keys(username, ""))


def locked_message() -> str:
    minutes = max(1, _window() // 60)
    return ngettext(
        "Too many failed sign-in attempts. Try again in %(n)d minute.",
        "Too many failed sign-in attempts. Try again in %(n)d minutes.",
        minutes,
    ) % {"n": minutes}


class ThrottledModelBackend(ModelBackend):
    """Refuses every sign-in (pages, admin, API token) while the username or address is
    locked; Django then reports the attempt as failed."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(self._username_field())
        if login_locked(username=username, request=request):
            raise PermissionDenied
        return super().authenticate(request, username=username, password=password, **kwargs)

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    login_failure_record(username=credentials.get("username"), request=request)


def on_logged_in(sender, request, user, **kwargs) -> None:
    login_success_record(username=user.get_username())


class _LockedCheck:
    def clean(self):
        username = self.data.get("username")
        if username and login_locked(username=username, request=self.request):
            raise forms.ValidationError(locked_message(), code="locked")
        return super().clean()


class ThrottledAuthenticationForm(_LockedCheck, AuthenticationForm):
    """The sign-in form: says plainly when the account or address is locked."""


class ThrottledAdminAuthenticationForm(_LockedCheck, AdminAuthenticationForm):
    """The Django admin's sign-in form, with the same lock."""
