"""Every WhatsApp sample of the shared corpus through the real (signed) webhook path, twice."""

import json

import pytest

from channels_in.adapters.whatsapp.parse import parse_statuses
from channels_in.models import EventStatus, InboundEvent
from tests.factories.tickets import ChannelFactory
from tests.fakes.webhooks import CORPUS, corpus_files, post_whatsapp
from tickets.models import Attachment, Customer, Message, Ticket

pytestmark = pytest.mark.django_db

MEDIA = {"image", "video", "audio", "document", "sticker"}
REPLIES = {"button_reply", "list_reply", "nfm_reply", "call_permission_reply"}


def _cases() -> list:
    cases = []
    for path in corpus_files("whatsapp"):
        name = str(path.relative_to(CORPUS / "whatsapp"))
        if "original" in path.parts:  # pywa's {case name: webhook body} collections
            data = json.loads(path.read_text())
            cases += [(f"{name}#{case}", json.dumps(body).encode()) for case, body in data.items()]
        else:
            cases.append((name, path.read_bytes()))  # the exact bytes, as Meta would sign them
    return cases


CASES = _cases()


def _is_customer_message(item: dict) -> bool:
    kind = item.get("type")
    body = item.get(kind) if isinstance(item.get(kind), dict) else {}
    if kind == "edit":
        return _is_customer_message(body.get("message") or {})
    if kind == "reaction":
        return bool(body.get("emoji"))
    if kind == "interactive":
        return body.get("type") in REPLIES
    return kind in MEDIA | {"text", "location", "contacts", "button", "order"}


def expected(payload: dict) -> tuple[dict, dict]:
    """({message id: message}, {sender external id: expected name}) for customer messages."""
    messages, senders = {}, {}
    for entry in payload.get("entry", []):
        for change in entry.get("changes", []):
            if change.get("field") != "messages":
                continue
            value = change["value"]
            contacts = value.get("contacts") or [{}]
            for item in value.get("messages", []):
                if not _is_customer_message(item):
                    continue
                contact = next(
                    (c for c in contacts if c.get("wa_id") == item.get("from")), contacts[0]
                )
                wa_id = contact.get("wa_id") or item.get("from") or ""
                phone = "+" + wa_id if wa_id.isdigit() else ""
                name = (contact.get("profile") or {}).get("name") or phone
                senders[wa_id or contact.get("user_id")] = name
                messages.setdefault(item["id"], item)  # a repeated id is a duplicate
    return messages, senders


def test_the_corpus_is_all_here():
    assert len(corpus_files("whatsapp")) == 123
    assert len(CASES) > 123


@pytest.mark.parametrize(("name", "body"), CASES, ids=[c[0] for c in CASES])
def test_corpus_body_through_the_webhook(name, body, client, django_capture_on_commit_callbacks):
    channel = ChannelFactory(kind="whatsapp", secret="meta-app-secret")
    with django_capture_on_commit_callbacks(execute=True):
        first = post_whatsapp(client, channel, body)
    assert first.status_code == 200, first.content
    assert first.json()["status"] == "accepted"
    event = InboundEvent.objects.get()
    messages, senders = expected(json.loads(body))

    if not messages:
        receipts = parse_statuses(json.loads(body))
        expected_status = EventStatus.PROCESSED if receipts else EventStatus.IGNORED
        assert event.status == expected_status, event.error
        assert Ticket.objects.count() == 0
    else:
        assert event.status == EventStatus.PROCESSED, event.error
        assert Ticket.objects.count() == len(senders)
        for external_id, name in senders.items():
            customer = Customer.objects.get(identities__external_id=external_id)
            assert customer.name == name
        assert Message.objects.count() == len(messages)
        for wamid, item in messages.items():
            stored = Message.objects.get(external_id=wamid)
            assert stored.text.strip()
            kind = item["type"]
            if kind == "text":
                assert item["text"]["body"] in stored.text
            if kind == "reaction":
                assert stored.text == f"reacted {item['reaction']['emoji']} to a message"
            if kind == "button":
                assert item["button"]["text"] in stored.text
            if kind == "interactive" and item["interactive"]["type"] in (
                "button_reply",
                "list_reply",
            ):
                assert item["interactive"][item["interactive"]["type"]]["title"] in stored.text
            if kind in MEDIA and item[kind].get("caption"):
                assert item[kind]["caption"] in stored.text
            if kind in MEDIA:
                ref = stored.attachments.get()
                assert ref.url == f"wa-media:{item[kind]['id']}"
                assert not ref.file
            if item.get("context", {}).get("id"):
                assert stored.reply_to_external_id == item["context"]["id"]

    counts = (Message.objects.count(), Ticket.objects.count(), Attachment.objects.count())
    with django_capture_on_commit_callbacks(execute=True):
        second = post_whatsapp(client, channel, body)
    assert second.status_code == 200
    assert second.json()["status"] == "duplicate"
    assert InboundEvent.objects.count() == 1
    assert (Message.objects.count(), Ticket.objects.count(), Attachment.objects.count()) == counts
