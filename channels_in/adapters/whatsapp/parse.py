"""WhatsApp Cloud API webhook body -> customer messages and delivery statuses. Pure.

One POST holds `entry[].changes[]`; only `field == "messages"` changes carry customer
messages (`value.messages[]`, senders in `value.contacts[]`) and statuses of what we sent
(`value.statuses[]`). Account, template, call, preference and echo notifications, system
messages, deletions and unsupported messages yield nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from helpdesk.exceptions import PayloadInvalid
from tickets.inbound import AttachmentRef, InboundMessage, SenderIdentity

MEDIA_PREFIX = "wa-media:"
MAX_TEXT = 100_000
MEDIA_KINDS = {
    # type: (default filename, default content type, placeholder when no caption)
    "image": ("image.jpg", "image/jpeg", "[photo]"),
    "video": ("video.mp4", "video/mp4", "[video]"),
    "audio": ("audio.ogg", "audio/ogg", "[audio]"),
    "document": ("document", "application/octet-stream", "[document]"),
    "sticker": ("sticker.webp", "image/webp", "[sticker]"),
}
STATUS_MAP = {"sent": "sent", "delivered": "delivered", "read": "read", "played": "read"}


@dataclass(frozen=True)
class StatusUpdate:
    external_id: str
    status: str  # sent / delivered / read / failed
    error: str = ""


def load_body(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadInvalid(f"Body is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise PayloadInvalid("A WhatsApp webhook body must be a JSON object.")
    return payload


def _values(payload: dict) -> list[dict]:
    """`value` of every `messages` change in the body."""
    if payload.get("object") not in (None, "whatsapp_business_account"):
        return []
    values = []
    entries = payload.get("entry")
    for entry in entries if isinstance(entries, list) else []:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else []:
            if not isinstance(change, dict) or change.get("field") != "messages":
                continue
            if isinstance(change.get("value"), dict):
                values.append(change["value"])
    return values


def _list(value: dict, key: str) -> list[dict]:
    items = value.get(key)
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def parse_statuses(payload: dict) -> list[StatusUpdate]:
    updates = []
    for value in _values(payload):
        for status in _list(value, "statuses"):
            kind, ident = status.get("status"), status.get("id")
            if not ident or not isinstance(kind, str):
                continue
            if kind == "failed":
                updates.append(StatusUpdate(str(ident), "failed", _error_text(status)))
            elif kind in STATUS_MAP:
                updates.append(StatusUpdate(str(ident), STATUS_MAP[kind]))
    return updates


def _error_text(status: dict) -> str:
    parts = []
    for error in _list(status, "errors"):
        title = str(error.get("title") or error.get("message") or "error")
        details = (
            (error.get("error_data") or {}).get("details")
            if isinstance(error.get("error_data"), dict)
            else None
        )
        code = f" ({error['code']})" if error.get("code") else ""
        parts.append(f"{title}{code}" + (f": {details}" if details and details != title else ""))
    return "; ".join(parts) or "WhatsApp reported the message as failed."


def parse_messages(*, payload: dict, channel_id: int, event_id: int | None) -> list:
    messages: list[InboundMessage] = []
    for value in _values(payload):
        contacts = _list(value, "contacts")
        for item in _list(value, "messages"):
            sender = _sender(item, contacts)
            ident = item.get("id")
            if sender is None or not ident:
                continue
            content = _content(item)
            if content is None:
                continue
            text, refs, reply_to = content
            messages.append(
                InboundMessage(
                    channel_id=channel_id,
                    external_message_id=str(ident)[:255],
                    sender=sender,
                    text=text[:MAX_TEXT],
                    sent_at=_timestamp(item.get("timestamp")),
                    attachments=refs,
                    reply_to_external_id=reply_to[:255],
                    raw_event_id=event_id,
                )
            )
    return messages


def _sender(item: dict, contacts: list[dict]) -> SenderIdentity | None:
    sender_id = str(item.get("from") or "")
    contact = next((c for c in contacts if sender_id and str(c.get("wa_id")) == sender_id), None)
    if contact is None and len(contacts) == 1:
        contact = contacts[0]
    contact = contact or {}
    wa_id = str(contact.get("wa_id") or sender_id or "")
    external_id = wa_id or str(contact.get("user_id") or item.get("from_user_id") or "")
    if not external_id:
        return None
    profile = contact.get("profile") if isinstance(contact.get("profile"), dict) else {}
    name = str(profile.get("name") or "").strip()
    phone = "+" + wa_id if wa_id.isdigit() else ""
    return SenderIdentity(external_id=external_id[:255], name=name[:200] or phone, phone=phone)


def _timestamp(value: Any) -> datetime:
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return timezone.now()
    return datetime.fromtimestamp(seconds, tz=UTC) if seconds > 0 else timezone.now()


def _content(item: dict, *, edited: bool = False) -> tuple[str, list[AttachmentRef], str] | None:
    """(text, attachments, reply-to id) or None when this is not a customer message."""
    kind = item.get("type")
    body = item.get(kind) if isinstance(kind, str) and isinstance(item.get(kind), dict) else {}
    context = item.get("context") if isinstance(item.get("context"), dict) else {}
    reply_to = str(context.get("id") or "")
    refs: list[AttachmentRef] = []
    if kind == "edit":
        inner = body.get("message")
        if not isinstance(inner, dict):
            return None
        content = _content(inner, edited=True)
        if content is None:
            return None
        text, refs, _ = content
        return f"[edited] {text}", refs, str(body.get("original_message_id") or reply_to)
    if kind == "text":
        text = str(body.get("body") or "")
    elif kind in MEDIA_KINDS:
        filename, ctype, placeholder = MEDIA_KINDS[kind]
        if not body.get("id"):
            return None
        refs.append(
            AttachmentRef(
                filename=str(body.get("filename") or filename)[:255],
                content_type=str(body.get("mime_type") or ctype).split(";")[0].strip()[:120],
                url=MEDIA_PREFIX + str(body["id"]),
            )
        )
        if kind == "audio" and body.get("voice"):
            placeholder = "[voice message]"
        if kind == "document" and body.get("filename"):
            placeholder = f"[document: {body['filename']}]"
        text = str(body.get("caption") or "") or placeholder
    elif kind == "location":
        text = _location_text(body)
    elif kind == "contacts":
        text = "\n".join(_contact_text(c) for c in _list(item, "contacts"))
    elif kind == "interactive":
        text = _interactive_text(body)
    elif kind == "button":
        text = str(body.get("text") or body.get("payload") or "")
    elif kind == "reaction":
        emoji = body.get("emoji")
        if not emoji:
            return None  # a reaction taken back
        text = f"reacted {emoji} to a message"
        reply_to = str(body.get("message_id") or reply_to)
    elif kind == "order":
        text = _order_text(body)
    else:
        return None  # system, unsupported, unknown, revoke (deleted), request_welcome, ...
    if not text.strip():
        return None
    if context.get("forwarded") or context.get("frequently_forwarded"):
        text = f"[forwarded]\n{text}"
    referral = item.get("referral")
    if isinstance(referral, dict) and referral.get("headline"):
        text += f"\n(via ad: {referral['headline']})"
    return text, refs, reply_to


def _location_text(body: dict) -> str:
    place = ", ".join(str(body[k]) for k in ("name", "address") if body.get(k))
    try:
        lat, lon = float(body.get("latitude")), float(body.get("longitude"))
    except (TypeError, ValueError):
        return f"📍 {place}" if place else ""
    link = (
        f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=17/{lat:.6f}/{lon:.6f}"
    )
    return f"📍 {place or 'Location'}: {lat:.6f}, {lon:.6f}\n{link}"


def _contact_text(contact: dict) -> str:
    name = contact.get("name") if isinstance(contact.get("name"), dict) else {}
    label = str(name.get("formatted_name") or name.get("first_name") or "").strip()
    phones = [str(p.get("phone") or p.get("wa_id") or "") for p in _list(contact, "phones")]
    emails = [str(e.get("email") or "") for e in _list(contact, "emails")]
    return "👤 Contact: " + ", ".join(part for part in [label, *phones, *emails] if part)


def _interactive_text(body: dict) -> str:
    kind = body.get("type")
    reply = body.get(kind) if isinstance(kind, str) and isinstance(body.get(kind), dict) else {}
    if kind == "button_reply":
        return str(reply.get("title") or reply.get("id") or "")
    if kind == "list_reply":
        title = str(reply.get("title") or reply.get("id") or "")
        return f"{title} — {reply['description']}" if reply.get("description") else title
    if kind == "nfm_reply":
        try:
            answers = json.loads(reply.get("response_json") or "{}")
        except (TypeError, ValueError):
            answers = {}
        lines = [
            f"{key}: {value}"
            for key, value in (answers.items() if isinstance(answers, dict) else [])
            if key != "flow_token"
        ]
        return "\n".join([f"Form submitted: {reply.get('name') or 'flow'}", *lines])
    if kind == "call_permission_reply":
        return f"Call permission: {reply.get('response') or 'answered'}"
    return ""


def _order_text(body: dict) -> str:
    lines = ["🛒 Order:"]
    for item in _list(body, "product_items"):
        price = item.get("item_price")
        price = f" @ {price} {item.get('currency') or ''}".rstrip() if price is not None else ""
        lines.append(f"- {item.get('product_retailer_id')} × {item.get('quantity')}{price}")
    if body.get("text"):
        lines.append(str(body["text"]))
    return "\n".join(lines) if len(lines) > 1 else ""
