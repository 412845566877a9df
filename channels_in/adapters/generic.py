"""The generic channel: any messenger or telephony bridge speaking a small signed JSON.

Inbound `POST /webhooks/generic/<id>/` with
`{external_user_id, name, external_message_id, text, sent_at, attachments}` (plus optional
`email`, `phone`, `username`, `language`, `subject`, `html`, `reply_to`), signed with
`X-Helpdesk-Signature: sha256=<hex HMAC-SHA256 of the body, key = channel secret>`.

Outbound: the same signature on a JSON POST to the channel's `config.callback_url`.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from channels_in.adapters.base import (
    SIGNATURE_HEADER,
    channel_secrets,
    hmac_hex,
    verify_hmac_header,
)
from helpdesk.exceptions import DeliveryError, PayloadInvalid
from tickets.inbound import AttachmentRef, InboundMessage, SenderIdentity
from tickets.models import Channel, Message

MAX_TEXT = 100_000


def _load(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadInvalid(f"Body is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise PayloadInvalid("Body must be a JSON object.")
    return payload


def _id(payload: dict, key: str) -> str:
    value = payload.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value).strip() == "":
        raise PayloadInvalid(f"'{key}' is required and must be a non-empty string or integer.")
    value = str(value).strip()
    if len(value) > 255:
        raise PayloadInvalid(f"'{key}' is longer than 255 characters.")
    return value


def _text(payload: dict, key: str, limit: int = 255) -> str:
    value = payload.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PayloadInvalid(f"'{key}' must be a string.")
    if len(value) > limit:
        raise PayloadInvalid(f"'{key}' is longer than {limit} characters.")
    return value


def _sent_at(payload: dict) -> datetime:
    raw = payload.get("sent_at")
    if raw in (None, ""):
        return timezone.now()
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return datetime.fromtimestamp(raw, tz=UTC)
    parsed = parse_datetime(raw) if isinstance(raw, str) else None
    if parsed is None:
        raise PayloadInvalid("'sent_at' must be an ISO 8601 date-time or a Unix timestamp.")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return parsed


def _attachments(payload: dict) -> list[AttachmentRef]:
    items = payload.get("attachments") or []
    if not isinstance(items, list):
        raise PayloadInvalid("'attachments' must be a list.")
    refs = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise PayloadInvalid(f"attachments[{index}] must be an object.")
        url = _text(item, "url", 1000)
        content = None
        if item.get("content_base64"):
            try:
                content = base64.b64decode(item["content_base64"], validate=True)
            except (binascii.Error, TypeError, ValueError) as exc:
                raise PayloadInvalid(f"attachments[{index}].content_base64 is not base64.") from exc
        if not url and content is None:
            raise PayloadInvalid(f"attachments[{index}] needs 'url' or 'content_base64'.")
        if url and not url.startswith(("http://", "https://")):
            raise PayloadInvalid(f"attachments[{index}].url must be http(s).")
        refs.append(
            AttachmentRef(
                filename=_text(item, "filename") or url.rsplit("/", 1)[-1] or "attachment",
                content_type=_text(item, "content_type", 120),
                url=url,
                content=content,
            )
        )
    return refs


def validate(payload: dict) -> None:
    """Raise PayloadInvalid with a precise message for anything the intake could not take."""
    _id(payload, "external_user_id")
    _id(payload, "external_message_id")
    text = _text(payload, "text", MAX_TEXT)
    attachments = _attachments(payload)
    if not text.strip() and not attachments:
        raise PayloadInvalid("A message needs 'text' or at least one attachment.")
    _sent_at(payload)
    for key in ("name", "email", "phone", "username", "language", "subject", "reply_to"):
        _text(payload, key)


class GenericAdapter:
    kind: ClassVar[str] = "generic"

    def verify(self, *, request: HttpRequest, channel: Channel) -> None:
        verify_hmac_header(
            request=request, header=SIGNATURE_HEADER, secret=channel_secrets(channel)
        )

    def dedupe_key(self, *, body: bytes, channel: Channel) -> str:
        payload = _load(body)
        validate(payload)
        return "msg:" + _id(payload, "external_message_id")

    def parse(self, *, body: bytes, channel: Channel, event_id: int) -> list[InboundMessage]:
        payload = _load(body)
        validate(payload)
        sender = SenderIdentity(
            external_id=_id(payload, "external_user_id"),
            name=_text(payload, "name").strip(),
            username=_text(payload, "username"),
            email=_text(payload, "email").strip(),
            phone=_text(payload, "phone").strip(),
            language=_text(payload, "language")[:10],
        )
        return [
            InboundMessage(
                channel_id=channel.pk,
                external_message_id=_id(payload, "external_message_id"),
                sender=sender,
                text=_text(payload, "text", MAX_TEXT),
                html=_text(payload, "html", MAX_TEXT),
                subject=_text(payload, "subject"),
                sent_at=_sent_at(payload),
                attachments=_attachments(payload),
                reply_to_external_id=_text(payload, "reply_to"),
                raw_event_id=event_id,
            )
        ]

    def send(self, message: Message) -> str:
        channel = message.channel
        url = (channel.config or {}).get("callback_url", "")
        if not url:
            raise DeliveryError("The channel has no callback_url configured.", retryable=False)
        identity = message.ticket.customer.identities.filter(channel=channel).first()
        body = json.dumps(
            {
                "ticket_id": message.ticket_id,
                "message_id": message.pk,
                "external_user_id": identity.external_id if identity else None,
                "text": message.text,
                "sent_at": message.sent_at.isoformat(),
                "author": message.author.get_full_name() if message.author else "",
            },
            ensure_ascii=False,
        ).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: "sha256=" + hmac_hex(channel.secret, body),
        }
        try:
            response = httpx.post(
                url, content=body, headers=headers, timeout=settings.OUTBOUND_TIMEOUT_SECONDS
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"Could not reach {url}: {exc.__class__.__name__}") from exc
        if response.status_code >= 300:
            retryable = response.status_code >= 500 or response.status_code in (408, 429)
            raise DeliveryError(
                f"{url} answered {response.status_code}.",
                retryable=retryable,
                extra={"status": response.status_code},
            )
        try:
            answer = response.json()
        except ValueError:
            return ""
        external = answer.get("external_message_id") if isinstance(answer, dict) else None
        return str(external)[:255] if external else ""
