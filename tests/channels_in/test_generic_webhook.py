import json

import pytest

from channels_in.models import EventStatus, InboundEvent
from tickets.models import Customer, Message, Ticket

pytestmark = pytest.mark.django_db

PAYLOAD = {
    "external_user_id": "u-100",
    "name": "Ирина Смирнова",
    "external_message_id": "m-1",
    "text": "Где мой заказ 1042?",
    "sent_at": "2026-11-20T10:00:00Z",
}


def test_signed_webhook_creates_customer_ticket_and_message(generic_channel, post_generic):
    response = post_generic(generic_channel, PAYLOAD)

    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    event = InboundEvent.objects.get()
    assert event.status == EventStatus.PROCESSED
    ticket = Ticket.objects.get()
    assert ticket.customer.name == "Ирина Смирнова"
    assert ticket.status == "new"
    assert ticket.first_customer_message_at.isoformat() == "2026-11-20T10:00:00+00:00"
    message = ticket.messages.get()
    assert message.text == "Где мой заказ 1042?"
    assert message.external_id == "m-1"
    assert message.inbound_event_id == event.pk
    assert ticket.events.first().kind == "created"


def test_same_external_message_id_twice_stores_one_message(generic_channel, post_generic):
    first = post_generic(generic_channel, PAYLOAD)
    second = post_generic(generic_channel, PAYLOAD)

    assert first.json()["status"] == "accepted"
    assert second.status_code == 200
    assert second.json()["status"] == "duplicate"
    assert Message.objects.count() == 1
    assert InboundEvent.objects.count() == 1


def test_second_message_from_same_customer_joins_the_open_ticket(generic_channel, post_generic):
    post_generic(generic_channel, PAYLOAD)
    post_generic(generic_channel, {**PAYLOAD, "external_message_id": "m-2", "text": "Ау?"})

    assert Ticket.objects.count() == 1
    assert Customer.objects.count() == 1
    assert Ticket.objects.get().last_message_preview == "Ау?"


def test_wrong_signature_is_403_and_stores_nothing(generic_channel, post_generic):
    response = post_generic(generic_channel, PAYLOAD, secret="not-the-secret")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "signature_invalid"
    assert InboundEvent.objects.count() == 0
    assert Ticket.objects.count() == 0


def test_missing_signature_is_403(generic_channel, client):
    response = client.post(
        f"/webhooks/generic/{generic_channel.pk}/",
        data=json.dumps(PAYLOAD),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert InboundEvent.objects.count() == 0


def test_malformed_json_with_valid_signature_is_400_and_journaled(generic_channel, post_generic):
    response = post_generic(generic_channel, None, raw=b'{"external_user_id": "u-1", ')

    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "payload_invalid"
    assert "not valid JSON" in body["error"]["message"]
    event = InboundEvent.objects.get()
    assert event.status == EventStatus.FAILED
    assert bytes(event.body) == b'{"external_user_id": "u-1", '
    assert event.pk == body["error"]["event_id"]
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"external_message_id": ""}, "'external_message_id' is required"),
        ({"external_user_id": None}, "'external_user_id' is required"),
        ({"text": "", "attachments": []}, "needs 'text' or at least one attachment"),
        ({"sent_at": "yesterday"}, "'sent_at' must be"),
        ({"attachments": [{"filename": "a.txt"}]}, "needs 'url' or 'content_base64'"),
    ],
)
def test_invalid_fields_are_rejected_with_a_clear_message(
    generic_channel, post_generic, change, message
):
    response = post_generic(generic_channel, {**PAYLOAD, **change})

    assert response.status_code == 400
    assert message in response.json()["error"]["message"]
    assert InboundEvent.objects.get().status == EventStatus.FAILED


def test_unknown_channel_is_404(db, post_generic, generic_channel):
    generic_channel.pk = 9999
    assert post_generic(generic_channel, PAYLOAD).status_code == 404


def test_get_is_not_allowed(generic_channel, client):
    assert client.get(f"/webhooks/generic/{generic_channel.pk}/").status_code == 405


def test_attachment_content_is_stored(generic_channel, post_generic):
    payload = {
        **PAYLOAD,
        "attachments": [
            {"filename": "check.txt", "content_type": "text/plain", "content_base64": "0YfQtdC6"}
        ],
    }
    post_generic(generic_channel, payload)

    attachment = Message.objects.get().attachments.get()
    assert attachment.filename == "check.txt"
    assert attachment.size == 6
    assert attachment.file.read().decode() == "чек"


@pytest.mark.parametrize("sent_at", [1763632800, "2025-11-20T10:00:00"])
def test_unix_and_naive_timestamps_are_taken_as_utc(generic_channel, post_generic, sent_at):
    response = post_generic(generic_channel, {**PAYLOAD, "sent_at": sent_at})

    assert response.status_code == 200
    message = Message.objects.get()
    assert message.sent_at.isoformat() == "2025-11-20T10:00:00+00:00"


def test_a_delivery_accepted_after_the_switch_off_is_kept_not_processed(
    generic_channel, post_generic
):
    """A process whose channel cache still holds the channel as active accepts the
    delivery; processing sees the switch-off, keeps the row with the reason, makes no
    ticket, and a reprocess after switching the channel on makes it one."""
    from channels_in.selectors import channel_for_webhook
    from channels_in.services import CHANNEL_OFF, inbound_event_process
    from tickets.models import Channel

    assert channel_for_webhook(kind="generic", channel_id=generic_channel.pk)  # cached
    Channel.objects.filter(pk=generic_channel.pk).update(is_active=False)  # another process
    response = post_generic(generic_channel, PAYLOAD)

    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert (event.status, event.error) == (EventStatus.FAILED, CHANNEL_OFF)
    assert not Ticket.objects.exists()

    Channel.objects.filter(pk=generic_channel.pk).update(is_active=True)
    event = inbound_event_process(event_id=event.pk)
    assert (event.status, event.error) == (EventStatus.PROCESSED, "")
    assert Ticket.objects.get().messages.get().external_id == "m-1"


def test_a_switched_off_channel_refuses_new_deliveries(generic_channel, post_generic):
    from channels_in.selectors import channel_cache_clear

    generic_channel.is_active = False
    generic_channel.save()
    channel_cache_clear()
    response = post_generic(generic_channel, PAYLOAD)
    assert response.status_code == 404
    assert not InboundEvent.objects.exists()
