"""Choice buttons carried by an outbound message (Message.buttons), for channels that can
show them. Format: {"type": "menu", "prompt": str, "options": [{"key": str, "label": str}]}.
The message text always holds the numbered version too, so any channel can fall back to it.
A press comes back as customer text equal to the option's key."""

from __future__ import annotations

from dataclasses import dataclass

from tickets.models import Message

WHATSAPP_MAX_BUTTONS = 3
WHATSAPP_BUTTON_TITLE = 20
WHATSAPP_MAX_ROWS = 10
WHATSAPP_ROW_TITLE = 24
WHATSAPP_BODY = 1024


@dataclass(frozen=True)
class Menu:
    prompt: str
    options: list[tuple[str, str]]  # (key, label)


def menu_of(message: Message) -> Menu | None:
    data = message.buttons if isinstance(message.buttons, dict) else {}
    options = [
        (str(o.get("key", "")).strip(), str(o.get("label", "")).strip())
        for o in data.get("options") or []
        if isinstance(o, dict)
    ]
    options = [(key, label or key) for key, label in options if key]
    if not options:
        return None
    prompt = str(data.get("prompt") or "").strip() or (message.text or "").strip()
    return Menu(prompt=prompt or "…", options=options)


def telegram_markup(menu: Menu) -> dict:
    """Bot API InlineKeyboardMarkup: one button a row, callback_data = the option key."""
    return {
        "inline_keyboard": [
            [{"text": label, "callback_data": key[:64]}] for key, label in menu.options
        ]
    }


def whatsapp_interactive(menu: Menu) -> dict | None:
    """Cloud API interactive reply buttons (up to 3) or a list (up to 10); None if it fits
    neither, and the numbered text is sent instead."""
    body = {"text": menu.prompt[:WHATSAPP_BODY]}
    if len(menu.options) <= WHATSAPP_MAX_BUTTONS:
        buttons = [
            {"type": "reply", "reply": {"id": key, "title": label[:WHATSAPP_BUTTON_TITLE]}}
            for key, label in menu.options
        ]
        return {"type": "button", "body": body, "action": {"buttons": buttons}}
    if len(menu.options) <= WHATSAPP_MAX_ROWS:
        rows = [{"id": key, "title": label[:WHATSAPP_ROW_TITLE]} for key, label in menu.options]
        return {
            "type": "list",
            "body": body,
            "action": {"button": "Menu", "sections": [{"title": "Options", "rows": rows}]},
        }
    return None
