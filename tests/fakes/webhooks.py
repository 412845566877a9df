"""Posting Telegram and WhatsApp webhooks the way the providers do, and the shared corpus."""

from __future__ import annotations

import json
from pathlib import Path

from channels_in.adapters.base import hmac_hex

CORPUS = Path("/work/shared/corpus")
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WHATSAPP_SIGNATURE_HEADER = "X-Hub-Signature-256"


def as_bytes(payload) -> bytes:
    return payload if isinstance(payload, bytes) else json.dumps(payload).encode()


def post_telegram(client, channel, payload, *, secret: str | None = None):
    headers = {TELEGRAM_SECRET_HEADER: channel.secret if secret is None else secret}
    if secret == "":
        headers = {}
    return client.post(
        f"/webhooks/telegram/{channel.pk}/",
        data=as_bytes(payload),
        content_type="application/json",
        headers=headers,
    )


def post_whatsapp(client, channel, payload, *, secret: str | None = None):
    body = as_bytes(payload)
    signature = "sha256=" + hmac_hex(channel.secret if secret is None else secret, body)
    return client.post(
        f"/webhooks/whatsapp/{channel.pk}/",
        data=body,
        content_type="application/json",
        headers={WHATSAPP_SIGNATURE_HEADER: signature},
    )


def corpus_files(kind: str) -> list[Path]:
    return sorted((CORPUS / kind).rglob("*.json"))
