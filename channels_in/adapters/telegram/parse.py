"""Bot API `Update` JSON -> InboundMessage. Pure: no network, no database.

What becomes a customer message: `message` and `edited_message` written by a person (not a bot,
not on behalf of a chat) with some content, and `callback_query` (a pressed inline button).
Everything else (channel posts, polls, chat member changes, reactions, boosts, service
messages, update kinds newer than this code) yields nothing and the journal row is ignored.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from helpdesk.exceptions import PayloadInvalid
from tickets.inbound import AttachmentRef, InboundMessage, SenderIdentity

FILE_PREFIX = "tg-file:"
MAX_TEXT = 100_000


def load_update(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadInvalid(f"Body is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise PayloadInvalid("A Telegram update must be a JSON object.")
    update_id = payload.get("update_id")
    if isinstance(update_id, bool) or not isinstance(update_id, int):
        raise PayloadInvalid("A Telegram update needs an integer 'update_id'.")
    return payload


def update_dedupe_key(payload: dict[str, Any]) -> str:
    return f"update:{payload['update_id']}"


def parse_update(*, payload: dict[str, Any], channel_id: int, event_id: int | None) -> list:
    """The customer messages in one update: zero or one InboundMessage."""
    msg = None
    if "message" in payload:
        msg = _from_message(payload["message"], edited=False)
    elif "edited_message" in payload:
        msg = _from_message(payload["edited_message"], edited=True)
    elif "callback_query" in payload:
        msg = _from_callback(payload["callback_query"])
    if msg is None:
        return []
    return [
        InboundMessage(channel_id=channel_id, raw_event_id=event_id, **msg)  # type: ignore[arg-type]
    ]


def _sender(user: Any, *, phone: str = "") -> SenderIdentity | None:
    if not isinstance(user, dict) or user.get("is_bot") or user.get("id") in (None, ""):
        return None
    name = " ".join(str(user.get(key) or "").strip() for key in ("first_name", "last_name")).strip()
    return SenderIdentity(
        external_id=str(user["id"]),
        name=name[:200],
        username=str(user.get("username") or "")[:200],
        phone=phone,
        language=str(user.get("language_code") or "")[:10],
    )


def _timestamp(value: Any) -> datetime:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(value, tz=UTC)
    return timezone.now()


def _user_label(user: Any) -> str:
    if not isinstance(user, dict):
        return ""
    name = " ".join(str(user.get(k) or "") for k in ("first_name", "last_name")).strip()
    return name or str(user.get("title") or "") or str(user.get("username") or "")


def _forward_label(message: dict) -> str:
    origin = message.get("forward_origin")
    if isinstance(origin, dict):
        for key in ("sender_user", "chat", "sender_chat"):
            if origin.get(key):
                return _user_label(origin[key])
        return str(origin.get("sender_user_name") or "")
    for key in ("forward_from", "forward_from_chat"):
        if message.get(key):
            return _user_label(message[key])
    return str(message.get("forward_sender_name") or "")


def _file(item: Any, filename: str, content_type: str) -> AttachmentRef | None:
    if not isinstance(item, dict) or not item.get("file_id"):
        return None
    size = item.get("file_size")
    return AttachmentRef(
        filename=str(item.get("file_name") or filename)[:255],
        content_type=str(item.get("mime_type") or content_type)[:120],
        url=FILE_PREFIX + str(item["file_id"]),
        size=size if isinstance(size, int) and size > 0 else 0,
    )


def _largest_photo(sizes: Any) -> dict | None:
    photos = [p for p in sizes if isinstance(p, dict)] if isinstance(sizes, list) else []
    if not photos:
        return None
    return max(
        photos,
        key=lambda p: (p.get("file_size") or 0, (p.get("width") or 0) * (p.get("height") or 0)),
    )


def _location_text(location: dict, venue: Any = None) -> str:
    lat, lon = location.get("latitude"), location.get("longitude")
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return ""
    head = "📍 Location"
    if isinstance(venue, dict) and (venue.get("title") or venue.get("address")):
        head = "📍 " + ", ".join(str(venue[k]) for k in ("title", "address") if venue.get(k))
    link = (
        f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=17/{lat:.6f}/{lon:.6f}"
    )
    return f"{head}: {lat:.6f}, {lon:.6f}\n{link}"


def _contact_text(contact: dict) -> str:
    name = _user_label(contact)
    phone = str(contact.get("phone_number") or "")
    return "👤 Contact: " + ", ".join(part for part in (name, phone) if part)


def _content(message: dict) -> tuple[str, list[AttachmentRef], str]:
    """(text, attachments, placeholder used when there is no text)."""
    text = message.get("text") or message.get("caption") or ""
    text = text if isinstance(text, str) else ""
    refs: list[AttachmentRef] = []
    placeholder = ""
    mid = message.get("message_id")
    photo = _largest_photo(message.get("photo"))
    if photo:
        refs.append(_file(photo, f"photo_{mid}.jpg", "image/jpeg"))
        placeholder = "[photo]"
    if message.get("animation"):
        refs.append(_file(message["animation"], f"animation_{mid}.mp4", "video/mp4"))
        placeholder = "[animation]"
    elif message.get("document"):
        ref = _file(message["document"], f"document_{mid}", "application/octet-stream")
        refs.append(ref)
        placeholder = f"[document: {ref.filename}]" if ref else "[document]"
    for key, filename, ctype, label in (
        ("video", f"video_{mid}.mp4", "video/mp4", "[video]"),
        ("video_note", f"video_note_{mid}.mp4", "video/mp4", "[video message]"),
        ("voice", f"voice_{mid}.ogg", "audio/ogg", "[voice message]"),
        ("audio", f"audio_{mid}.mp3", "audio/mpeg", "[audio]"),
    ):
        if message.get(key):
            refs.append(_file(message[key], filename, ctype))
            placeholder = placeholder or label
    refs = [ref for ref in refs if ref is not None]
    extra = []
    sticker = message.get("sticker")
    if isinstance(sticker, dict):
        extra.append(str(sticker.get("emoji") or "") or "[sticker]")
    if isinstance(message.get("location"), dict):
        extra.append(_location_text(message["location"], message.get("venue")))
    if isinstance(message.get("contact"), dict):
        extra.append(_contact_text(message["contact"]))
    dice = message.get("dice")
    if isinstance(dice, dict):
        extra.append(f"{dice.get('emoji') or '🎲'} {dice.get('value', '')}".strip())
    if isinstance(message.get("story"), dict):
        extra.append("[shared a story]")
    text = "\n".join(part for part in [text, *extra] if part)
    return text[:MAX_TEXT], refs, placeholder


def _from_message(message: Any, *, edited: bool) -> dict | None:
    if not isinstance(message, dict) or message.get("sender_chat"):
        return None  # written on behalf of a channel or an anonymous group admin
    chat = message.get("chat")
    if not isinstance(chat, dict) or chat.get("id") is None or chat.get("type") == "channel":
        return None
    if message.get("message_id") is None:
        return None
    contact = message.get("contact")
    own_phone = ""
    user = message.get("from")
    if user is None and chat.get("type") == "private":
        user = chat  # a private chat is the user (chat id == user id, same names)
    if (
        isinstance(contact, dict)
        and isinstance(user, dict)
        and contact.get("user_id") == user.get("id")
        and contact.get("phone_number")
    ):
        own_phone = "+" + str(contact["phone_number"]).lstrip("+")
    sender = _sender(user, phone=own_phone)
    if sender is None:
        return None
    if edited and isinstance(message.get("location"), dict) and not message.get("venue"):
        return None  # a live location moving, not something the customer wrote
    text, refs, placeholder = _content(message)
    if not text and not refs:
        return None  # service messages: members joined, pinned, topic created, ...
    text = text or placeholder
    forwarded = _forward_label(message)
    if forwarded or message.get("forward_date") or message.get("forward_origin"):
        text = f"[forwarded from {forwarded or 'someone'}]\n{text}"
    chat_id, message_id = chat["id"], message["message_id"]
    external_id = f"{chat_id}:{message_id}"
    reply_to = ""
    replied = message.get("reply_to_message")
    if isinstance(replied, dict) and replied.get("message_id") is not None:
        reply_to = f"{chat_id}:{replied['message_id']}"
    sent_at = _timestamp(message.get("date"))
    if edited:
        edit_date = message.get("edit_date") or message.get("date") or 0
        reply_to = external_id
        external_id = f"{external_id}:edit:{edit_date}"
        text = f"[edited] {text}"
        sent_at = _timestamp(edit_date)
    return {
        "external_message_id": external_id,
        "sender": sender,
        "text": text,
        "sent_at": sent_at,
        "attachments": refs,
        "reply_to_external_id": reply_to,
    }


def _from_callback(query: Any) -> dict | None:
    if not isinstance(query, dict) or not query.get("id"):
        return None
    sender = _sender(query.get("from"))
    data = query.get("data") or query.get("game_short_name") or ""
    if sender is None or not isinstance(data, str) or not data:
        return None
    reply_to = ""
    message = query.get("message")
    chat = message.get("chat") if isinstance(message, dict) else None
    if isinstance(chat, dict) and chat.get("id") is not None and message.get("message_id"):
        reply_to = f"{message['chat']['id']}:{message['message_id']}"
    return {
        "external_message_id": f"cb:{query['id']}",
        "sender": sender,
        "text": data[:MAX_TEXT],
        "sent_at": timezone.now(),
        "attachments": [],
        "reply_to_external_id": reply_to,
    }
