"""Replies to Telegram customers, against a fake Bot API that checks requests like the real one."""

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command

from tests.factories.tickets import ChannelFactory
from tests.fakes.telegram import FakeBotApi
from tests.fakes.webhooks import post_telegram
from tickets.models import Attachment, DeliveryStatus, Ticket
from tickets.services import message_deliver, ticket_reply

pytestmark = pytest.mark.django_db

USER = {"id": 777001, "is_bot": False, "first_name": "Ирина", "language_code": "ru"}


@pytest.fixture
def api():
    with FakeBotApi() as fake:
        yield fake


@pytest.fixture
def channel(api):
    return ChannelFactory(
        kind="telegram",
        secret="tg-secret_1",
        config={"bot_token": api.token, "api_base": api.base_url},
    )


@pytest.fixture
def ticket_from(client, django_capture_on_commit_callbacks):
    def _make(channel, chat=None) -> Ticket:
        chat = chat or {"id": 777001, "type": "private", "first_name": "Ирина"}
        update = {
            "update_id": 1,
            "message": {
                "message_id": 9,
                "from": USER,
                "chat": chat,
                "date": 1767225600,
                "text": "Здравствуйте",
            },
        }
        with django_capture_on_commit_callbacks(execute=True):
            assert post_telegram(client, channel, update).status_code == 200
        return Ticket.objects.get()

    return _make


@pytest.fixture
def reply(operator, django_capture_on_commit_callbacks):
    def _reply(ticket, text="Ваш заказ в пути"):
        with django_capture_on_commit_callbacks(execute=True):
            message = ticket_reply(ticket=ticket, author=operator, text=text)
        message.refresh_from_db()
        return message

    return _reply


def test_reply_goes_out_through_sendmessage(api, channel, ticket_from, reply):
    message = reply(ticket_from(channel))

    (request,) = api.calls("sendMessage")
    assert request.path == f"/bot{api.token}/sendMessage"
    assert request.json == {"chat_id": "777001", "text": "Ваш заказ в пути"}
    assert message.delivery_status == DeliveryStatus.SENT
    assert message.external_id == "777001:500"


def test_a_menu_goes_out_as_inline_buttons(api, channel, ticket_from, operator):
    from tickets.models import Message

    message = ticket_reply(
        ticket=ticket_from(channel), author=None, author_kind="bot", text="1. Доставка\n0. Оператор"
    )
    Message.objects.filter(pk=message.pk).update(
        buttons={
            "type": "menu",
            "prompt": "Чем можем помочь?",
            "options": [{"key": "1", "label": "Доставка"}, {"key": "0", "label": "Оператор"}],
        }
    )
    from tickets.services import message_deliver

    message = message_deliver(message_id=message.pk)

    (request,) = api.calls("sendMessage")
    assert request.json["text"] == "Чем можем помочь?"
    assert request.json["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "Доставка", "callback_data": "1"}],
            [{"text": "Оператор", "callback_data": "0"}],
        ]
    }
    assert message.delivery_status == DeliveryStatus.SENT


def test_reply_in_a_supergroup_goes_to_that_chat(api, channel, ticket_from, reply):
    ticket = ticket_from(channel, chat={"id": -1001869, "type": "supergroup", "title": "Shop"})
    reply(ticket)

    assert api.calls("sendMessage")[0].json["chat_id"] == "-1001869"


def test_long_text_is_split_at_telegrams_limit(api, channel, ticket_from, reply):
    reply(ticket_from(channel), text="а" * 5000)

    assert [len(r.json["text"]) for r in api.calls("sendMessage")] == [4096, 904]


def test_blocked_bot_fails_without_retry_and_says_why(api, channel, ticket_from, reply):
    api.blocked_chats.add("777001")
    message = reply(ticket_from(channel))

    assert message.delivery_status == DeliveryStatus.FAILED
    assert "blocked the bot" in message.delivery_error
    assert message.next_attempt_at is None


@pytest.mark.parametrize(
    ("status", "description"),
    [(429, "Too Many Requests: retry after 5"), (502, "Bad Gateway")],
)
def test_rate_limit_and_server_errors_are_retried(
    api, channel, ticket_from, reply, status, description
):
    api.failures.append((status, description, 5 if status == 429 else None))
    message = reply(ticket_from(channel))

    assert message.delivery_status == DeliveryStatus.RETRYING
    assert description in message.delivery_error
    assert message.next_attempt_at is not None
    assert message_deliver(message_id=message.pk).delivery_status == DeliveryStatus.SENT


def test_wrong_token_is_not_retried(api, channel, ticket_from, reply):
    ticket = ticket_from(channel)
    channel.config = {**channel.config, "bot_token": "1:wrong"}
    channel.save()
    message = reply(ticket)

    assert message.delivery_status == DeliveryStatus.FAILED
    assert "bot token" in message.delivery_error


def test_attachments_go_as_photo_and_document_uploads(api, channel, ticket_from, operator):
    ticket = ticket_from(channel)
    message = ticket_reply(ticket=ticket, author=operator, text="Документы")
    for name, ctype, content in [
        ("label.png", "image/png", b"\x89PNG fake"),
        ("invoice.pdf", "application/pdf", b"%PDF-1.4"),
    ]:
        attachment = Attachment(message=message, filename=name, content_type=ctype)
        attachment.file.save(name, ContentFile(content), save=True)

    message = message_deliver(message_id=message.pk)

    assert message.delivery_status == DeliveryStatus.SENT, message.delivery_error
    photo, document = api.calls("sendPhoto")[0], api.calls("sendDocument")[0]
    assert photo.form == {"chat_id": "777001"}
    assert photo.files["photo"] == ("label.png", "image/png", b"\x89PNG fake")
    assert document.files["document"] == ("invoice.pdf", "application/pdf", b"%PDF-1.4")


def test_set_webhook_command_registers_url_and_secret(api, channel, settings, capsys):
    settings.PUBLIC_BASE_URL = "https://desk.example.com"

    call_command("telegram_set_webhook", str(channel.pk))

    assert api.webhook["url"] == f"https://desk.example.com/webhooks/telegram/{channel.pk}/"
    assert api.webhook["secret_token"] == "tg-secret_1"
    assert "callback_query" in api.webhook["allowed_updates"]
    assert "webhook set" in capsys.readouterr().out


def test_set_webhook_command_reports_the_bot_api_error(api, channel, settings):
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"

    with pytest.raises(CommandError, match="HTTPS URL must be provided"):
        call_command("telegram_set_webhook", str(channel.pk))


def test_set_webhook_command_needs_a_telegram_channel(db):
    other = ChannelFactory(kind="generic")
    with pytest.raises(CommandError, match="No Telegram channel"):
        call_command("telegram_set_webhook", str(other.pk))
