"""The interface every channel adapter implements. Adapters translate; they never write."""

from __future__ import annotations

import hashlib
import hmac
from typing import ClassVar, Protocol

from django.http import HttpRequest

from helpdesk.exceptions import SignatureInvalid
from tickets.inbound import InboundMessage
from tickets.models import Channel, Message

SIGNATURE_HEADER = "X-Helpdesk-Signature"


class ChannelAdapter(Protocol):
    kind: ClassVar[str]

    def verify(self, *, request: HttpRequest, channel: Channel) -> None:
        """Raise SignatureInvalid unless the request really comes from the channel."""

    def dedupe_key(self, *, body: bytes, channel: Channel) -> str:
        """The provider's id of this delivery; raise PayloadInvalid if the body is unreadable."""

    def parse(self, *, body: bytes, channel: Channel, event_id: int) -> list[InboundMessage]:
        """Translate one stored delivery into zero or more messages."""

    # Optional: adapters of channels that report delivery of our messages also define
    #   parse_receipts(*, body: bytes, channel: Channel) -> list[tickets.inbound.DeliveryReceipt]

    def send(self, message: Message) -> str:
        """Deliver an outbound message; return the channel's id for it. Raise DeliveryError."""


def hmac_hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def channel_secrets(channel) -> list[str]:
    """The secrets a webhook of `channel` may be signed with: the current one, and after a
    rotation the previous one until its grace period ends."""
    from django.utils import timezone

    found = [channel.secret] if channel.secret else []
    previous = getattr(channel, "previous_secret", "")
    until = getattr(channel, "previous_secret_until", None)
    if previous and until is not None and timezone.now() < until:
        found.append(previous)
    return found


def secret_matches(given: str, candidates: list[str]) -> bool:
    """Constant-time comparison against every candidate (no early exit on a match)."""
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(given.encode(), candidate.encode())
    return matched


def verify_hmac_header(*, request: HttpRequest, header: str, secret: str | list[str]) -> None:
    """Check `<header>: sha256=<hex HMAC-SHA256 of the body>` in constant time, against one
    secret or several (a rotated channel's current and previous secrets)."""
    candidates = [secret] if isinstance(secret, str) else list(secret)
    candidates = [c for c in candidates if c]
    given = request.headers.get(header, "")
    if not candidates or not given.startswith("sha256="):
        raise SignatureInvalid("Missing or malformed signature.")
    given = given.removeprefix("sha256=").strip().lower()
    expected = [hmac_hex(c, request.body) for c in candidates]
    if not secret_matches(given, expected):
        raise SignatureInvalid("Signature does not match.")


def body_digest(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()
