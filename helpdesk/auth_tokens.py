"""API tokens that expire: `Authorization: Token <key>` is refused once the token is older
than API_TOKEN_TTL seconds (0 keeps tokens forever). The token endpoint then hands out a
fresh one (`token_issue`)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token


def token_expires_at(token: Token) -> datetime.datetime | None:
    ttl = int(getattr(settings, "API_TOKEN_TTL", 0) or 0)
    if ttl <= 0:
        return None
    return token.created + datetime.timedelta(seconds=ttl)


def token_expired(token: Token) -> bool:
    expires = token_expires_at(token)
    return expires is not None and timezone.now() >= expires


def token_issue(*, user) -> Token:
    """The user's valid token, or a new one when they have none or it has expired."""
    with transaction.atomic():
        token = Token.objects.select_for_update().filter(user=user).first()
        if token is not None and not token_expired(token):
            return token
        if token is not None:
            token.delete()
        return Token.objects.create(user=user)


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            raise exceptions.AuthenticationFailed(
                _("Token has expired: ask POST /api/auth/token/ for a new one.")
            )
        return user, token
