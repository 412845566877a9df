"""Every Telegram sample of the shared corpus through the real webhook path, twice."""

import json

import pytest

from channels_in.models import EventStatus, InboundEvent
from tests.factories.tickets import ChannelFactory
from tests.fakes.webhooks import CORPUS, corpus_files, post_telegram
from tickets.models import Attachment, Message, Ticket

pytestmark = pytest.mark.django_db

CONTENT = {
    "text",
    "caption",
    "photo",
    "document",
    "voice",
    "video",
    "audio",
    "sticker",
    "location",
    "contact",
    "animation",
    "video_note",
    "dice",
    "story",
}
FILES = ("photo", "voice", "video", "audio", "animation", "video_note")


def _cases() -> list:
    """(case id, update) for every sample; bare objects wrapped the way Telegram sends them."""
    cases = []
    for number, path in enumerate(corpus_files("telegram"), start=1):
        name = str(path.relative_to(CORPUS / "telegram"))
        data = json.loads(path.read_text())
        if "message_objects" in path.parts:
            cases.append((name, {"update_id": 900_000 + number, "message": data}))
        elif "other_objects" in path.parts:
            key = "callback_query" if "data" in data or "chat_instance" in data else "inline_query"
            cases.append((name, {"update_id": 900_000 + number, key: data}))
        elif "result" in data and "update_id" not in data:  # a getUpdates answer
            cases += [(f"{name}#{i}", u) for i, u in enumerate(data["result"])]
        else:
            cases.append((name, data))
    return cases


CASES = _cases()


def expected_message(update: dict) -> tuple[dict, dict] | None:
    """(sender, message) when the update is something a customer wrote, else None."""
    for key in ("message", "edited_message"):
        message = update.get(key)
        if not isinstance(message, dict):
            continue
        chat = message.get("chat") or {}
        user = message.get("from") or (chat if chat.get("type") == "private" else None)
        if not user or user.get("is_bot") or message.get("sender_chat"):
            return None
        if chat.get("type") == "channel" or not CONTENT & set(message):
            return None
        if key == "edited_message" and "location" in message:
            return None  # live-location updates are not something the customer wrote
        return user, message
    if isinstance(update.get("callback_query"), dict):
        query = update["callback_query"]
        return (query["from"], query) if query.get("data") else None
    return None


def test_the_corpus_is_all_here():
    assert len(corpus_files("telegram")) == 167
    assert len(CASES) >= 167


@pytest.mark.parametrize(("name", "update"), CASES, ids=[c[0] for c in CASES])
def test_corpus_update_through_the_webhook(
    name, update, client, django_capture_on_commit_callbacks
):
    channel = ChannelFactory(kind="telegram", secret="tg-secret_123")
    with django_capture_on_commit_callbacks(execute=True):
        first = post_telegram(client, channel, update)
    assert first.status_code == 200, first.content
    assert first.json()["status"] == "accepted"
    event = InboundEvent.objects.get()
    expected = expected_message(update)

    if expected is None:
        assert event.status == EventStatus.IGNORED, event.error
        assert Ticket.objects.count() == 0
    else:
        assert event.status == EventStatus.PROCESSED, event.error
        sender, message = expected
        ticket = Ticket.objects.get()
        name = " ".join(filter(None, [sender.get("first_name"), sender.get("last_name")]))
        assert ticket.customer.name == name.strip()
        assert ticket.customer.identities.get().external_id == str(sender["id"])
        stored = ticket.messages.get()
        assert stored.text.strip()
        if "data" in message:
            assert stored.text == message["data"]
            assert stored.external_id == f"cb:{message['id']}"
        else:
            chat_id = message["chat"]["id"]
            assert stored.external_id.startswith(f"{chat_id}:{message['message_id']}")
            for key in ("text", "caption"):
                if message.get(key):
                    assert message[key] in stored.text
            if message.get("sticker", {}).get("emoji"):
                assert message["sticker"]["emoji"] in stored.text
            if message.get("contact"):
                assert message["contact"]["phone_number"] in stored.text
            if message.get("location"):
                assert "📍" in stored.text
            files = sum(1 for key in FILES if message.get(key))
            files += 1 if message.get("document") and not message.get("animation") else 0
            refs = list(stored.attachments.values_list("url", flat=True))
            assert len(refs) == files
            assert all(url.startswith("tg-file:") for url in refs)

    counts = (Message.objects.count(), Ticket.objects.count(), Attachment.objects.count())
    with django_capture_on_commit_callbacks(execute=True):
        second = post_telegram(client, channel, update)
    assert second.status_code == 200
    assert second.json()["status"] == "duplicate"
    assert InboundEvent.objects.count() == 1
    assert (Message.objects.count(), Ticket.objects.count(), Attachment.objects.count()) == counts
