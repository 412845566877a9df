"""Replies to WhatsApp customers against a fake Graph API; the 24-hour service window."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.utils import timezone

from tests.factories.tickets import ChannelFactory, MessageFactory
from tests.fakes.webhooks import post_whatsapp
from tests.fakes.whatsapp import FakeGraphApi
from tickets.models import Attachment, DeliveryStatus, Ticket
from tickets.services import message_deliver, message_delivery_update, ticket_reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    with FakeGraphApi() as fake:
        yield fake


@pytest.fixture
def channel(api):
    return ChannelFactory(
        kind="whatsapp",
        secret="meta-app-secret",
        config={
            "access_token": api.token,
            "phone_number_id": api.phone_number_id,
            "api_base": api.base_url,
            "verify_token": "v",
        },
    )


@pytest.fixture
def inbound(client, django_capture_on_commit_callbacks):
    """The customer writes now (or at `at`); returns their ticket."""

    def _write(channel, *, at=None) -> Ticket:
        at = at or timezone.now()
        payload = {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "W",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "contacts": [{"profile": {"name": "Анна"}, "wa_id": "79001234567"}],
                                "messages": [
                                    {
                                        "from": "79001234567",
                                        "id": f"wamid.IN{at.timestamp():.0f}",
                                        "timestamp": str(int(at.timestamp())),
                                        "type": "text",
                                        "text": {"body": "Где заказ?"},
                                    }
                                ],
                            },
                        }
                    ],
                }
            ],
        }
        with django_capture_on_commit_callbacks(execute=True):
            assert post_whatsapp(client, channel, payload).status_code == 200
        return Ticket.objects.get()

    return _write


@pytest.fixture
def reply(operator, django_capture_on_commit_callbacks):
    def _reply(ticket, text="Заказ в пути"):
        with django_capture_on_commit_callbacks(execute=True):
            message = ticket_reply(ticket=ticket, author=operator, text=text)
        message.refresh_from_db()
        return message

    return _reply


def test_text_reply_is_posted_to_the_phone_numbers_messages_edge(api, channel, inbound, reply):
    message = reply(inbound(channel))

    (request,) = api.requests
    assert request.method == "POST"
    assert request.path == f"/v21.0/{api.phone_number_id}/messages"
    assert request.headers["Authorization"] == f"Bearer {api.token}"
    assert request.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "79001234567",
        "type": "text",
        "text": {"body": "Заказ в пути"},
    }
    assert message.delivery_status == DeliveryStatus.SENT
    assert message.external_id.startswith("wamid.")


def test_receipts_then_move_the_reply_to_delivered_and_read(api, channel, inbound, reply):
    message = reply(inbound(channel))
    for status in ("delivered", "read", "sent"):
        message_delivery_update(channel=channel, external_id=message.external_id, status=status)

    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.READ


def test_outside_the_24_hour_window_a_template_is_needed(api, channel, inbound, reply):
    ticket = inbound(channel, at=timezone.now() - timedelta(hours=25))
    message = reply(ticket)

    assert message.delivery_status == DeliveryStatus.FAILED
    assert "24 hours" in message.delivery_error
    assert "template" in message.delivery_error
    assert message.next_attempt_at is None
    assert api.requests == []


def test_window_is_measured_from_the_customers_last_message(api, channel, inbound, reply):
    ticket = inbound(channel, at=timezone.now() - timedelta(hours=23))
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        message = reply(ticket)

    assert message.delivery_status == DeliveryStatus.FAILED
    assert "template message" in message.delivery_error


def test_ticket_without_an_inbound_whatsapp_message_needs_a_template(api, channel, reply):
    message = reply(MessageFactory(ticket__channel=channel, direction="out").ticket)

    assert message.delivery_status == DeliveryStatus.FAILED
    assert "template message" in message.delivery_error


def test_re_engagement_error_from_meta_is_not_retried(api, channel, inbound, reply):
    api.failures.append((400, 131047, "Re-engagement message"))
    message = reply(inbound(channel))

    assert message.delivery_status == DeliveryStatus.FAILED
    assert "More than 24 hours" in message.delivery_error
    assert "131047" in message.delivery_error


@pytest.mark.parametrize(
    ("status", "code", "text"),
    [
        (500, 1, "An unknown error occurred"),
        (503, 2, "Service temporarily unavailable"),
        (429, 130429, "Rate limit hit"),
    ],
)
def test_temporary_graph_errors_are_retried(api, channel, inbound, reply, status, code, text):
    api.failures.append((status, code, text))
    message = reply(inbound(channel))

    assert message.delivery_status == DeliveryStatus.RETRYING
    assert text in message.delivery_error
    assert message_deliver(message_id=message.pk).delivery_status == DeliveryStatus.SENT


def test_invalid_access_token_fails_with_a_clear_message(api, channel, inbound, reply):
    ticket = inbound(channel)
    channel.config = {**channel.config, "access_token": "expired"}
    channel.save()
    message = reply(ticket)

    assert message.delivery_status == DeliveryStatus.FAILED
    assert "access token is invalid" in message.delivery_error


def test_attachments_are_uploaded_then_sent_by_media_id(api, channel, inbound, operator):
    ticket = inbound(channel)
    message = ticket_reply(ticket=ticket, author=operator, text="Счёт во вложении")
    attachment = Attachment(message=message, filename="invoice.pdf", content_type="application/pdf")
    attachment.file.save("invoice.pdf", ContentFile(b"%PDF-1.4 bill"), save=True)

    message = message_deliver(message_id=message.pk)

    assert message.delivery_status == DeliveryStatus.SENT, message.delivery_error
    text, upload, media = api.requests
    assert upload.path == f"/v21.0/{api.phone_number_id}/media"
    assert upload.form == {"messaging_product": "whatsapp", "type": "application/pdf"}
    assert upload.files["file"] == ("invoice.pdf", "application/pdf", b"%PDF-1.4 bill")
    media_id = api.sent[-1]["document"]["id"]
    assert api.media[media_id] == ("application/pdf", b"%PDF-1.4 bill")
    assert media.json["type"] == "document"
    assert media.json["document"] == {"id": media_id, "filename": "invoice.pdf"}
    assert text.json["text"] == {"body": "Счёт во вложении"}


def test_missing_configuration_is_a_clear_permanent_failure(channel, inbound, reply):
    ticket = inbound(channel)
    channel.config = {"verify_token": "v"}
    channel.save()
    message = reply(ticket)

    assert message.delivery_status == DeliveryStatus.FAILED
    assert "access_token and phone_number_id" in message.delivery_error


@pytest.mark.parametrize(
    ("count", "kind"), [(2, "button"), (5, "list"), (12, None)], ids=["buttons", "list", "text"]
)
def test_a_menu_goes_out_as_reply_buttons_a_list_or_numbered_text(
    api, channel, inbound, count, kind
):
    from tickets.models import Message
    from tickets.services import message_deliver

    options = [{"key": str(n), "label": f"Вариант {n}"} for n in range(count)]
    numbered = "\n".join(f"{o['key']}. {o['label']}" for o in options)
    message = ticket_reply(ticket=inbound(channel), author=None, author_kind="bot", text=numbered)
    Message.objects.filter(pk=message.pk).update(
        buttons={"type": "menu", "prompt": "Выберите тему", "options": options}
    )
    api.requests.clear()

    message = message_deliver(message_id=message.pk)

    (request,) = api.requests
    assert message.delivery_status == DeliveryStatus.SENT
    if kind is None:
        assert request.json["type"] == "text"
        assert request.json["text"]["body"] == numbered
        return
    interactive = request.json["interactive"]
    assert request.json["type"] == "interactive" and interactive["type"] == kind
    assert interactive["body"]["text"] == "Выберите тему"
    if kind == "button":
        ids = [b["reply"]["id"] for b in interactive["action"]["buttons"]]
    else:
        ids = [r["id"] for r in interactive["action"]["sections"][0]["rows"]]
    assert ids == [o["key"] for o in options]
