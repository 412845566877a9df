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


def verify_hmac_header(*, request: HttpRequest, header: str, secret: str) -> None:
    """Check `<header>: sha256=<hex HMAC-SHA256 of the body>` in constant time."""
    given = request.headers.get(header, "")
    if not secret or not given.startswith("sha256="):
        raise SignatureInvalid("Missing or malformed signature.")
    expected = hmac_hex(secret, request.body)
    if not hmac.compare_digest(given.removeprefix("sha256=").strip().lower(), expected):
        raise SignatureInvalid("Signature does not match.")


def body_digest(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()
