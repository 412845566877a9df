"""The Telegram channel (Bot API).

Inbound `POST /webhooks/telegram/<id>/` with a Bot API `Update`, authenticated by the header
`X-Telegram-Bot-Api-Secret-Token` that Telegram copies from `setWebhook(secret_token=...)`
(= the channel's secret; `manage.py telegram_set_webhook <id>` registers it).

Channel config: `bot_token` (from @BotFather), optional `api_base` (a local Bot API server
or a test fake), optional `max_download_bytes`.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import ClassVar

from django.http import HttpRequest

from channels_in.adapters.base import channel_secrets, secret_matches
from channels_in.adapters.buttons import menu_of, telegram_markup
from channels_in.adapters.telegram.api import BotApi, BotApiError, delivery_error
from channels_in.adapters.telegram.parse import (
    FILE_PREFIX,
    load_update,
    parse_update,
    update_dedupe_key,
)
from helpdesk.exceptions import DeliveryError, SignatureInvalid
from tickets.inbound import AttachmentRef, InboundMessage
from tickets.models import Channel, Direction, Message

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
MAX_MESSAGE_CHARS = 4096
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
MAX_PHOTO_BYTES = 10 * 1024 * 1024
_CHAT_REF = re.compile(r"^(-?\d+):\d+")


class TelegramAdapter:
    kind: ClassVar[str] = "telegram"

    def verify(self, *, request: HttpRequest, channel: Channel) -> None:
        given = request.headers.get(SECRET_HEADER, "")
        candidates = channel_secrets(channel)
        if not candidates or not given:
            raise SignatureInvalid(f"Missing {SECRET_HEADER} header.")
        if not secret_matches(given, candidates):
            raise SignatureInvalid(f"{SECRET_HEADER} does not match the channel's secret.")

    def dedupe_key(self, *, body: bytes, channel: Channel) -> str:
        return update_dedupe_key(load_update(body))

    def parse(self, *, body: bytes, channel: Channel, event_id: int) -> list[InboundMessage]:
        messages = parse_update(payload=load_update(body), channel_id=channel.pk, event_id=event_id)
        api = BotApi(channel)
        if not api.token:
            return messages
        return [
            dataclasses.replace(msg, attachments=[self._fetch(api, a) for a in msg.attachments])
            for msg in messages
        ]

    def _fetch(self, api: BotApi, ref: AttachmentRef) -> AttachmentRef:
        """Download a `tg-file:` reference; on any failure keep the reference without bytes."""
        if ref.content is not None or not ref.url.startswith(FILE_PREFIX):
            return ref
        try:
            content = api.download(ref.url.removeprefix(FILE_PREFIX), known_size=ref.size)
        except BotApiError as exc:
            logger.warning("telegram file %s not downloaded: %s", ref.url, exc.message)
            return ref
        return dataclasses.replace(ref, content=content, size=len(content))

    def send(self, message: Message) -> str:
        api = BotApi(message.channel)
        if not api.token:
            raise DeliveryError(
                "The Telegram channel has no bot_token configured.", retryable=False
            )
        chat_id = _chat_id(message)
        if chat_id is None:
            raise DeliveryError("The customer has no Telegram chat to write to.", retryable=False)
        sent: list[str] = []
        try:
            menu = menu_of(message)
            if menu is not None:  # a choice: the prompt with inline buttons
                payload = {
                    "chat_id": chat_id,
                    "text": menu.prompt[:MAX_MESSAGE_CHARS],
                    "reply_markup": telegram_markup(menu),
                }
                sent.append(_result_id(chat_id, api.call("sendMessage", json=payload)))
            text = "" if menu is not None else message.text or ""
            for start in range(0, len(text), MAX_MESSAGE_CHARS):
                result = api.call(
                    "sendMessage",
                    json={"chat_id": chat_id, "text": text[start : start + MAX_MESSAGE_CHARS]},
                )
                sent.append(_result_id(chat_id, result))
            for attachment in message.attachments.all():
                sent.append(_result_id(chat_id, _send_attachment(api, chat_id, attachment)))
        except BotApiError as exc:
            if sent:  # part of it went out: retrying would repeat that part
                raise DeliveryError(
                    f"Only part of the message was delivered: {exc.message}", retryable=False
                ) from exc
            raise delivery_error(exc) from exc
        return next((ident for ident in sent if ident), "")


def _send_attachment(api: BotApi, chat_id: str, attachment) -> dict:
    if attachment.file:
        with attachment.file.open("rb") as handle:
            content = handle.read()
        is_photo = attachment.content_type in PHOTO_TYPES and len(content) <= MAX_PHOTO_BYTES
        method, field = ("sendPhoto", "photo") if is_photo else ("sendDocument", "document")
        files = {field: (attachment.filename or "file", content, attachment.content_type)}
        return api.call(method, data={"chat_id": chat_id}, files=files)
    if attachment.url.startswith(("https://", "http://")):
        return api.call("sendDocument", json={"chat_id": chat_id, "document": attachment.url})
    if attachment.url.startswith(FILE_PREFIX):
        file_id = attachment.url.removeprefix(FILE_PREFIX)
        return api.call("sendDocument", json={"chat_id": chat_id, "document": file_id})
    raise BotApiError(f"Attachment {attachment.filename!r} has no content to send.", status=400)


def _result_id(chat_id: str, result) -> str:
    if isinstance(result, dict) and result.get("message_id") is not None:
        return f"{chat_id}:{result['message_id']}"
    return ""


def _chat_id(message: Message) -> str | None:
    """The chat the customer last wrote from on this ticket; in private chats the user id."""
    inbound = (
        Message.objects.filter(ticket_id=message.ticket_id, direction=Direction.INBOUND)
        .exclude(external_id=None)
        .order_by("-sent_at", "-pk")
        .values_list("external_id", "reply_to_external_id")[:20]
    )
    for external_id, reply_to in inbound:
        for ref in (external_id, reply_to):
            match = _CHAT_REF.match(ref or "")
            if match:
                return match.group(1)
    identity = message.ticket.customer.identities.filter(channel=message.channel).first()
    return identity.external_id if identity else None
