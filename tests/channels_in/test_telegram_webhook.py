"""Telegram webhook: authentication, broken bodies, parsing details, file downloads."""

import json

import pytest

from channels_in.models import EventStatus, InboundEvent
from tests.factories.tickets import ChannelFactory
from tests.fakes.telegram import FakeBotApi
from tests.fakes.webhooks import post_telegram
from tickets.models import Customer, Message, Ticket

pytestmark = pytest.mark.django_db

USER = {
    "id": 777001,
    "is_bot": False,
    "first_name": "Ирина",
    "last_name": "Смирнова",
    "username": "irina_s",
    "language_code": "ru",
}
CHAT = {"id": 777001, "first_name": "Ирина", "type": "private"}


def update(update_id=1, **message):
    return {
        "update_id": update_id,
        "message": {"message_id": 10, "from": USER, "chat": CHAT, "date": 1767225600, **message},
    }


@pytest.fixture
def channel(db):
    return ChannelFactory(kind="telegram", secret="tg-secret_1", config={})


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    def _post(channel, payload, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return post_telegram(client, channel, payload, **kwargs)

    return _post


def test_text_message_opens_a_ticket_with_the_telegram_identity(channel, post):
    response = post(channel, update(text="Где мой заказ 1042?"))

    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.customer.name == "Ирина Смирнова"
    assert ticket.customer.language == "ru"
    identity = ticket.customer.identities.get()
    assert (identity.external_id, identity.username) == ("777001", "irina_s")
    message = ticket.messages.get()
    assert message.text == "Где мой заказ 1042?"
    assert message.external_id == "777001:10"
    assert message.sent_at.isoformat() == "2026-01-01T00:00:00+00:00"
    assert InboundEvent.objects.get().dedupe_key == "update:1"


@pytest.mark.parametrize("secret", ["", "wrong-secret", "tg-secret_"])
def test_wrong_or_missing_secret_is_403_and_nothing_is_stored(channel, post, secret):
    response = post(channel, update(text="hi"), secret=secret)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "signature_invalid"
    assert InboundEvent.objects.count() == 0
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b'{"update_id": 5, "message": ', "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"message": {"text": "no update id"}}', "integer 'update_id'"),
        (b"\xff\xfe", "not valid JSON"),
    ],
)
def test_broken_body_with_the_right_secret_is_400_and_journaled_failed(channel, post, raw, error):
    response = post(channel, raw)

    assert response.status_code == 400
    assert error in response.json()["error"]["message"]
    event = InboundEvent.objects.get()
    assert event.status == EventStatus.FAILED
    assert bytes(event.body) == raw
    assert Ticket.objects.count() == 0


def test_edited_message_is_stored_as_a_new_marked_message(channel, post):
    post(channel, update(1, text="Заказ 1042"))
    edited = {
        "update_id": 2,
        "edited_message": {
            "message_id": 10,
            "from": USER,
            "chat": CHAT,
            "date": 1767225600,
            "edit_date": 1767225700,
            "text": "Заказ 1043",
        },
    }
    post(channel, edited)

    stored = Message.objects.get(external_id="777001:10:edit:1767225700")
    assert stored.text == "[edited] Заказ 1043"
    assert stored.reply_to_external_id == "777001:10"
    assert Ticket.objects.count() == 1


def test_reply_with_a_photo_keeps_the_largest_size_and_the_caption(channel, post):
    photo = [
        {"file_id": "small", "file_unique_id": "a", "width": 90, "height": 90, "file_size": 900},
        {"file_id": "big", "file_unique_id": "b", "width": 800, "height": 800, "file_size": 9000},
    ]
    reply_to = {"message_id": 7, "chat": CHAT, "date": 1767225000, "text": "Ваш заказ"}
    post(channel, update(photo=photo, caption="Вот чек", reply_to_message=reply_to))

    message = Message.objects.get()
    assert message.text == "Вот чек"
    assert message.reply_to_external_id == "777001:7"
    assert list(message.attachments.values_list("url", "size")) == [("tg-file:big", 9000)]


def test_own_contact_gives_a_new_customer_a_phone(channel, post):
    contact = {"phone_number": "79001234567", "first_name": "Ирина", "user_id": 777001}
    post(channel, update(contact=contact))

    assert Customer.objects.get().phone == "+79001234567"


def test_callback_query_becomes_the_customers_text(channel, post):
    query = {
        "id": "4382bfdwdsb323b2d9",
        "from": USER,
        "chat_instance": "-1",
        "data": "menu:delivery",
        "message": {"message_id": 55, "chat": CHAT, "date": 1767225600, "text": "Menu"},
    }
    post(channel, {"update_id": 3, "callback_query": query})

    stored = Message.objects.get()
    assert (stored.external_id, stored.text) == ("cb:4382bfdwdsb323b2d9", "menu:delivery")
    assert stored.reply_to_external_id == "777001:55"


@pytest.mark.parametrize(
    "payload",
    [
        {
            "update_id": 4,
            "channel_post": {
                "message_id": 1,
                "chat": {"id": -100, "type": "channel"},
                "date": 1,
                "text": "news",
            },
        },
        {"update_id": 5, "poll_answer": {"poll_id": "1", "user": USER, "option_ids": [0]}},
        {"update_id": 6, "some_future_kind": {"x": 1}},
        update(7, new_chat_members=[USER]),
        update(8, text="from a bot", **{"from": {**USER, "is_bot": True}}),
    ],
)
def test_updates_that_are_not_customer_messages_are_journaled_as_ignored(channel, post, payload):
    response = post(channel, payload)

    assert response.status_code == 200
    assert InboundEvent.objects.get().status == EventStatus.IGNORED
    assert Ticket.objects.count() == 0


def test_files_are_downloaded_through_getfile_when_a_token_is_configured(channel, post):
    with FakeBotApi() as api:
        api.add_file("BQACAgIAAxkBAAIB", "documents/file_3.pdf", b"%PDF-1.4 invoice")
        channel.config = {"bot_token": api.token, "api_base": api.base_url}
        channel.save()
        document = {
            "file_id": "BQACAgIAAxkBAAIB",
            "file_unique_id": "u",
            "file_name": "inv.pdf",
            "mime_type": "application/pdf",
            "file_size": 16,
        }
        post(channel, update(document=document))

        assert [r.path for r in api.requests] == [
            f"/bot{api.token}/getFile",
            f"/file/bot{api.token}/documents/file_3.pdf",
        ]
        assert api.requests[0].json == {"file_id": "BQACAgIAAxkBAAIB"}
    attachment = Message.objects.get().attachments.get()
    assert attachment.filename == "inv.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.file.read() == b"%PDF-1.4 invoice"
    assert attachment.size == 16
    assert Message.objects.get().text == "[document: inv.pdf]"


def test_failed_or_oversized_downloads_keep_the_reference_and_the_message(channel, post):
    with FakeBotApi() as api:
        api.add_file("big", "videos/file_1.mp4", b"x" * 2048)
        channel.config = {
            "bot_token": api.token,
            "api_base": api.base_url,
            "max_download_bytes": 1024,
        }
        channel.save()
        voice = {"file_id": "gone", "file_unique_id": "g", "duration": 2}
        video = {"file_id": "big", "file_unique_id": "b", "duration": 2}
        post(channel, update(voice=voice, video=video, caption="two files"))

    message = Message.objects.get()
    assert InboundEvent.objects.get().status == EventStatus.PROCESSED
    assert message.text == "two files"
    refs = {a.url: bool(a.file) for a in message.attachments.all()}
    assert refs == {"tg-file:gone": False, "tg-file:big": False}


def test_unreachable_bot_api_keeps_the_reference(channel, post):
    channel.config = {"bot_token": "1:x", "api_base": "http://127.0.0.1:9"}
    channel.save()
    post(channel, update(voice={"file_id": "v1", "file_unique_id": "v", "duration": 1}))

    attachment = Message.objects.get().attachments.get()
    assert attachment.url == "tg-file:v1"
    assert not attachment.file


def test_supergroup_text_is_kept_with_the_chat_in_its_external_id(channel, post):
    group = {"id": -1001, "title": "Shop chat", "type": "supergroup"}
    post(
        channel,
        {
            "update_id": 9,
            "message": {
                "message_id": 3,
                "from": USER,
                "chat": group,
                "date": 1767225600,
                "text": "Помогите",
            },
        },
    )

    assert Message.objects.get().external_id == "-1001:3"
    assert json.loads(bytes(InboundEvent.objects.get().body))["update_id"] == 9
