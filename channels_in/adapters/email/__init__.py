"""The email channel: raw RFC 822 in (signed webhook, IMAP polling, `ingest_email` pipe),
SMTP out.

Inbound `POST /webhooks/email/<id>/` with the raw message as the body
(`Content-Type: message/rfc822`) and `X-Helpdesk-Signature: sha256=<hex HMAC-SHA256 of the
body, key = channel secret>`. The dedupe key is the Message-ID (else the body's sha256), so
the same mail from the MTA pipe, the webhook and IMAP is stored once.

Auto-replies, bounces and reports (see loops.py) parse to no message: the journal row is
marked ignored, no ticket opens and no rule fires.

Channel config: `from_address`, `from_name`, `smtp: {host, port, username, password,
use_tls, use_ssl, timeout}`, `imap: {host, port, username, password, folder, use_ssl}`.
"""

from __future__ import annotations

import logging
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from typing import ClassVar

from django.http import HttpRequest
from django.utils import timezone

from channels_in.adapters.base import SIGNATURE_HEADER, channel_secrets, verify_hmac_header
from channels_in.adapters.email import mime
from channels_in.adapters.email.parse import parse_mail, to_inbound
from channels_in.adapters.email.send import send_email
from helpdesk.exceptions import PayloadInvalid
from tickets.inbound import InboundMessage
from tickets.models import Channel, Message

logger = logging.getLogger(__name__)


def email_dedupe_key(body: bytes) -> str:
    """ "mid:<Message-ID>" or "sha256:<hex>" of the bytes when the mail has no usable id."""
    if not body or not body.strip():
        raise PayloadInvalid("The body is empty; expected a raw RFC 822 message.")
    try:
        headers = BytesHeaderParser(policy=default_policy).parsebytes(body)
        message_id = mime.message_id(headers)
    except Exception:
        message_id = ""
    return f"mid:{message_id}" if message_id else mime.digest(body)


class EmailAdapter:
    kind: ClassVar[str] = "email"

    def verify(self, *, request: HttpRequest, channel: Channel) -> None:
        verify_hmac_header(
            request=request, header=SIGNATURE_HEADER, secret=channel_secrets(channel)
        )

    def dedupe_key(self, *, body: bytes, channel: Channel) -> str:
        return email_dedupe_key(body)

    def parse(self, *, body: bytes, channel: Channel, event_id: int) -> list[InboundMessage]:
        mail = parse_mail(body, now=timezone.now())
        if mail.loop:
            logger.info("email event %s ignored: %s", event_id, mail.loop)
            return []
        return [to_inbound(mail, channel_id=channel.pk, event_id=event_id)]

    def send(self, message: Message) -> str:
        return send_email(message)
