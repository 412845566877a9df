"""What a channel adapter hands to the intake: one message a customer sent, channel-neutral."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class SenderIdentity:
    external_id: str
    name: str = ""
    username: str = ""
    email: str = ""
    phone: str = ""
    language: str = ""


@dataclass(frozen=True)
class AttachmentRef:
    filename: str
    content_type: str = ""
    url: str = ""
    content: bytes | None = None  # when the channel delivered the bytes themselves
    size: int = 0


@dataclass(frozen=True)
class InboundMessage:
    channel_id: int
    external_message_id: str
    sender: SenderIdentity
    text: str
    sent_at: datetime
    html: str = ""
    subject: str = ""
    attachments: list[AttachmentRef] = field(default_factory=list)
    reply_to_external_id: str = ""
    raw_event_id: int | None = None
    # Email threading: Message-IDs from In-Reply-To/References, and a "[#123]" subject ref.
    thread_refs: tuple[str, ...] = ()
    ticket_ref: int | None = None


@dataclass(frozen=True)
class DeliveryReceipt:
    """A channel's report on one of our outbound messages (sent, delivered, read, failed)."""

    external_id: str
    status: str
    error: str = ""
