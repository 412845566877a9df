"""The WhatsApp Cloud API channel.

`GET /webhooks/whatsapp/<id>/` answers Meta's verify handshake (`hub.verify_token` must equal
`config.verify_token`); `POST` carries webhook bodies signed with
`X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body, key = the Meta app secret>` (the
channel's secret). Meta retries identical bodies, so the body's digest is the dedupe key.

Channel config: `access_token`, `phone_number_id`, `verify_token`, optional `api_base`
(default https://graph.facebook.com), `version` (default v21.0), `max_download_bytes`.
"""

from __future__ import annotations

import dataclasses
import hmac
import logging
from datetime import timedelta
from typing import ClassVar

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from channels_in.adapters.base import body_digest, channel_secrets, verify_hmac_header
from channels_in.adapters.buttons import menu_of, whatsapp_interactive
from channels_in.adapters.whatsapp.api import GraphApi, GraphError, delivery_error
from channels_in.adapters.whatsapp.parse import (
    MEDIA_PREFIX,
    load_body,
    parse_messages,
    parse_statuses,
)
from helpdesk.exceptions import DeliveryError
from tickets.inbound import AttachmentRef, DeliveryReceipt, InboundMessage
from tickets.models import Channel, Direction, Message

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"
SERVICE_WINDOW = timedelta(hours=24)
MAX_TEXT_CHARS = 4096
WINDOW_CLOSED = (
    "The customer last wrote more than 24 hours ago, so WhatsApp only accepts an approved "
    "template message now; this reply was not sent."
)
NO_CONVERSATION = (
    "The customer has not written on WhatsApp in this ticket; start the conversation with an "
    "approved template message."
)


class WhatsAppAdapter:
    kind: ClassVar[str] = "whatsapp"

    def handshake(self, *, request: HttpRequest, channel: Channel) -> HttpResponse:
        """Meta's subscription check: echo hub.challenge when the verify token matches."""
        expected = str((channel.config or {}).get("verify_token") or "")
        given = request.GET.get("hub.verify_token", "")
        challenge = request.GET.get("hub.challenge", "")
        if (
            request.GET.get("hub.mode") == "subscribe"
            and expected
            and hmac.compare_digest(given.encode(), expected.encode())
        ):
            return HttpResponse(challenge, content_type="text/plain")
        return HttpResponse("Verification failed.", status=403, content_type="text/plain")

    def verify(self, *, request: HttpRequest, channel: Channel) -> None:
        verify_hmac_header(
            request=request, header=SIGNATURE_HEADER, secret=channel_secrets(channel)
        )

    def dedupe_key(self, *, body: bytes, channel: Channel) -> str:
        load_body(body)
        return body_digest(body)

    def parse_receipts(self, *, body: bytes, channel: Channel) -> list[DeliveryReceipt]:
        """Statuses of our own outbound messages; the intake applies them."""
        return [
            DeliveryReceipt(external_id=u.external_id, status=u.status, error=u.error)
            for u in parse_statuses(load_body(body))
        ]

    def parse(self, *, body: bytes, channel: Channel, event_id: int) -> list[InboundMessage]:
        payload = load_body(body)
        messages = parse_messages(payload=payload, channel_id=channel.pk, event_id=event_id)
        api = GraphApi(channel)
        if not api.token:
            return messages
        return [
            dataclasses.replace(msg, attachments=[self._fetch(api, a) for a in msg.attachments])
            for msg in messages
        ]

    def _fetch(self, api: GraphApi, ref: AttachmentRef) -> AttachmentRef:
        if ref.content is not None or not ref.url.startswith(MEDIA_PREFIX):
            return ref
        try:
            content, mime = api.download(ref.url.removeprefix(MEDIA_PREFIX))
        except GraphError as exc:
            logger.warning("whatsapp media %s not downloaded: %s", ref.url, exc.message)
            return ref
        return dataclasses.replace(
            ref, content=content, size=len(content), content_type=ref.content_type or mime
        )

    def send(self, message: Message) -> str:
        api = GraphApi(message.channel)
        if not api.token or not api.phone_number_id:
            raise DeliveryError(
                "The WhatsApp channel needs access_token and phone_number_id.", retryable=False
            )
        last_inbound = (
            Message.objects.filter(ticket_id=message.ticket_id, direction=Direction.INBOUND)
            .order_by("-sent_at")
            .values_list("sent_at", flat=True)
            .first()
        )
        if last_inbound is None:
            raise DeliveryError(NO_CONVERSATION, retryable=False)
        if timezone.now() - last_inbound > SERVICE_WINDOW:
            raise DeliveryError(WINDOW_CLOSED, retryable=False)
        identity = message.ticket.customer.identities.filter(channel=message.channel).first()
        if identity is None:
            raise DeliveryError("The customer has no WhatsApp number.", retryable=False)
        to = identity.external_id
        sent: list[str] = []
        try:
            menu = menu_of(message)
            interactive = whatsapp_interactive(menu) if menu is not None else None
            if interactive is not None:  # a choice: reply buttons or a list
                sent.append(api.send({"to": to, "type": "interactive", "interactive": interactive}))
            text = "" if interactive is not None else message.text or ""
            for start in range(0, len(text), MAX_TEXT_CHARS):
                chunk = text[start : start + MAX_TEXT_CHARS]
                sent.append(api.send({"to": to, "type": "text", "text": {"body": chunk}}))
            for attachment in message.attachments.all():
                sent.append(api.send({"to": to, **_media_payload(api, attachment)}))
        except GraphError as exc:
            if sent:
                raise DeliveryError(
                    f"Only part of the message was delivered: {exc.message}", retryable=False
                ) from exc
            raise delivery_error(exc) from exc
        return next((ident for ident in sent if ident), "")


def _media_kind(content_type: str) -> str:
    if content_type in ("image/jpeg", "image/png"):
        return "image"
    if content_type in ("video/mp4", "video/3gpp"):
        return "video"
    if content_type.startswith("audio/"):
        return "audio"
    return "document"


def _media_payload(api: GraphApi, attachment) -> dict:
    kind = _media_kind(attachment.content_type or "")
    if attachment.file:
        with attachment.file.open("rb") as handle:
            content = handle.read()
        media: dict = {
            "id": api.upload(
                content=content,
                filename=attachment.filename or "file",
                content_type=attachment.content_type or "application/octet-stream",
            )
        }
    elif attachment.url.startswith("https://"):
        media = {"link": attachment.url}
    else:
        raise GraphError(f"Attachment {attachment.filename!r} has no content to send.", status=400)
    if kind == "document" and attachment.filename:
        media["filename"] = attachment.filename
    return {"type": kind, kind: media}
