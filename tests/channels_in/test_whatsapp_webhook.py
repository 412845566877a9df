"""WhatsApp webhook: verify handshake, signature, broken bodies, batches, statuses, media."""

import json

import pytest

from channels_in.models import EventStatus, InboundEvent
from tests.factories.tickets import ChannelFactory, MessageFactory
from tests.fakes.webhooks import post_whatsapp
from tests.fakes.whatsapp import FakeGraphApi
from tickets.models import DeliveryStatus, Message, Ticket

pytestmark = pytest.mark.django_db


def body(*messages, statuses=(), contacts=None):
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
    }
    if messages:
        value["contacts"] = contacts or [{"profile": {"name": "Анна"}, "wa_id": "79001234567"}]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": value}]}],
    }


def text(wamid="wamid.A1", body_text="Здравствуйте", sender="79001234567"):
    return {
        "from": sender,
        "id": wamid,
        "timestamp": "1767225600",
        "type": "text",
        "text": {"body": body_text},
    }


@pytest.fixture
def channel(db):
    return ChannelFactory(
        kind="whatsapp", secret="meta-app-secret", config={"verify_token": "verify-me"}
    )


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    def _post(channel, payload, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return post_whatsapp(client, channel, payload, **kwargs)

    return _post


def test_verify_handshake_echoes_the_challenge(channel, client):
    response = client.get(
        f"/webhooks/whatsapp/{channel.pk}/",
        {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"},
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"1158201444"


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": "verify-me", "hub.challenge": "1"},
        {},
    ],
)
def test_verify_handshake_with_a_wrong_token_is_403(channel, client, params):
    assert client.get(f"/webhooks/whatsapp/{channel.pk}/", params).status_code == 403


def test_get_stays_405_for_channels_without_a_handshake(client):
    telegram = ChannelFactory(kind="telegram")
    assert client.get(f"/webhooks/telegram/{telegram.pk}/").status_code == 405


def test_signed_text_message_opens_a_ticket(channel, post):
    response = post(channel, body(text()))

    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.customer.name == "Анна"
    assert ticket.customer.phone == "+79001234567"
    assert ticket.customer.identities.get().external_id == "79001234567"
    message = ticket.messages.get()
    assert (message.external_id, message.text) == ("wamid.A1", "Здравствуйте")
    assert message.sent_at.isoformat() == "2026-01-01T00:00:00+00:00"
    assert InboundEvent.objects.get().dedupe_key.startswith("sha256:")


@pytest.mark.parametrize("secret", ["not-the-app-secret", ""])
def test_wrong_signature_is_403_and_nothing_is_stored(channel, post, secret):
    response = post(channel, body(text()), secret=secret)

    assert response.status_code == 403
    assert InboundEvent.objects.count() == 0
    assert Ticket.objects.count() == 0


def test_missing_signature_is_403(channel, client):
    response = client.post(
        f"/webhooks/whatsapp/{channel.pk}/", data=body(text()), content_type="application/json"
    )
    assert response.status_code == 403
    assert InboundEvent.objects.count() == 0


@pytest.mark.parametrize("raw", [b'{"object": "whatsapp_business_account", "entry": [', b'"x"'])
def test_broken_body_with_a_valid_signature_is_400_and_journaled(channel, post, raw):
    response = post(channel, raw)

    assert response.status_code == 400
    event = InboundEvent.objects.get()
    assert event.status == EventStatus.FAILED
    assert bytes(event.body) == raw


def test_one_post_with_several_senders_and_messages(channel, post):
    contacts = [
        {"profile": {"name": "Анна"}, "wa_id": "79001234567"},
        {"profile": {"name": "Борис"}, "wa_id": "79007654321"},
    ]
    payload = body(
        text("wamid.1", "Первое"),
        text("wamid.2", "Второе"),
        text("wamid.3", "Я Борис", sender="79007654321"),
        contacts=contacts,
    )
    post(channel, payload)

    assert Ticket.objects.count() == 2
    assert sorted(Ticket.objects.values_list("customer__name", flat=True)) == ["Анна", "Борис"]
    assert Message.objects.count() == 3


def test_a_retried_message_in_a_new_body_is_not_stored_twice(channel, post):
    post(channel, body(text()))
    payload = body(text())
    payload["entry"][0]["id"] = "WABA-retry"
    post(channel, payload)

    assert InboundEvent.objects.count() == 2
    assert Message.objects.count() == 1


def test_statuses_update_our_outbound_message_and_never_go_backwards(channel, post):
    outbound = MessageFactory(
        ticket__channel=channel,
        direction="out",
        author_kind="agent",
        external_id="wamid.OUT",
        delivery_status=DeliveryStatus.SENT,
    )

    def status(kind, ts, **extra):
        return {"id": "wamid.OUT", "status": kind, "timestamp": ts, "recipient_id": "1", **extra}

    post(channel, body(statuses=[status("delivered", "1")]))
    outbound.refresh_from_db()
    assert outbound.delivery_status == DeliveryStatus.DELIVERED
    post(channel, body(statuses=[status("read", "2")]))
    post(channel, body(statuses=[status("delivered", "3")]))
    outbound.refresh_from_db()
    assert outbound.delivery_status == DeliveryStatus.READ
    assert set(InboundEvent.objects.values_list("status", flat=True)) == {EventStatus.PROCESSED}
    assert Ticket.objects.count() == 1  # the outbound message's own ticket, no new one


def test_failed_status_carries_the_error_title_and_details(channel, post):
    outbound = MessageFactory(
        ticket__channel=channel,
        direction="out",
        author_kind="agent",
        external_id="wamid.OUT",
        delivery_status=DeliveryStatus.SENT,
    )
    error = {
        "code": 131047,
        "title": "Re-engagement message",
        "error_data": {"details": "Message failed to send because more than 24 hours have passed"},
    }
    post(
        channel,
        body(
            statuses=[
                {
                    "id": "wamid.OUT",
                    "status": "failed",
                    "timestamp": "1",
                    "recipient_id": "1",
                    "errors": [error],
                }
            ]
        ),
    )

    outbound.refresh_from_db()
    assert outbound.delivery_status == DeliveryStatus.FAILED
    assert outbound.delivery_error.startswith("Re-engagement message (131047): Message failed")


def test_account_and_template_notifications_are_ignored(channel, post):
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "1",
                "changes": [
                    {"field": "account_update", "value": {"event": "ACCOUNT_VIOLATION"}},
                    {"field": "message_template_status_update", "value": {"event": "APPROVED"}},
                ],
            }
        ],
    }
    post(channel, payload)
    assert InboundEvent.objects.get().status == EventStatus.IGNORED
    assert Ticket.objects.count() == 0


def test_media_is_downloaded_from_the_graph_api_with_the_bearer_token(channel, post):
    with FakeGraphApi() as api:
        api.add_media("1234567890", "image/jpeg", b"\xff\xd8\xff fake jpeg")
        channel.config = {
            **channel.config,
            "access_token": api.token,
            "api_base": api.base_url,
            "phone_number_id": api.phone_number_id,
        }
        channel.save()
        image = {
            "from": "79001234567",
            "id": "wamid.IMG",
            "timestamp": "1767225600",
            "type": "image",
            "image": {
                "id": "1234567890",
                "mime_type": "image/jpeg",
                "sha256": "x",
                "caption": "Вот фото",
            },
        }
        post(channel, body(image))

        paths = [r.path for r in api.requests]
        assert paths == ["/v21.0/1234567890", "/download/1234567890"]
        assert all(r.headers["Authorization"] == f"Bearer {api.token}" for r in api.requests)
    message = Message.objects.get()
    assert message.text == "Вот фото"
    attachment = message.attachments.get()
    assert attachment.file.read() == b"\xff\xd8\xff fake jpeg"
    assert (attachment.content_type, attachment.size) == ("image/jpeg", 13)


def test_unknown_media_keeps_the_reference(channel, post):
    with FakeGraphApi() as api:
        channel.config = {**channel.config, "access_token": api.token, "api_base": api.base_url}
        channel.save()
        audio = {
            "from": "79001234567",
            "id": "wamid.AUD",
            "timestamp": "1767225600",
            "type": "audio",
            "audio": {"id": "404404", "mime_type": "audio/ogg; codecs=opus", "voice": True},
        }
        post(channel, body(audio))

    message = Message.objects.get()
    assert message.text == "[voice message]"
    attachment = message.attachments.get()
    assert (attachment.url, attachment.content_type, bool(attachment.file)) == (
        "wa-media:404404",
        "audio/ogg",
        False,
    )
    assert json.loads(bytes(InboundEvent.objects.get().body))["entry"][0]["id"] == "WABA"
