"""message_delivery_update: WhatsApp receipts move a message forward only."""

import pytest

from tests.factories.tickets import ChannelFactory, MessageFactory
from tickets.models import DeliveryStatus
from tickets.services import message_delivery_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbound():
    channel = ChannelFactory(kind="whatsapp")
    return MessageFactory(
        ticket__channel=channel,
        direction="out",
        author_kind="agent",
        external_id="wamid.X",
        delivery_status=DeliveryStatus.SENT,
    )


def apply(message, *receipts):
    for status, *error in receipts:
        message_delivery_update(
            channel=message.channel, external_id="wamid.X", status=status, error="".join(error)
        )
    message.refresh_from_db()
    return message


@pytest.mark.parametrize(
    ("receipts", "final"),
    [
        ([("delivered",)], DeliveryStatus.DELIVERED),
        ([("read",), ("delivered",)], DeliveryStatus.READ),
        ([("delivered",), ("sent",)], DeliveryStatus.DELIVERED),
        ([("read",), ("failed", "late")], DeliveryStatus.READ),
        ([("failed", "Undeliverable"), ("sent",)], DeliveryStatus.FAILED),
        ([("failed", "Undeliverable"), ("delivered",)], DeliveryStatus.DELIVERED),
        ([("played",)], DeliveryStatus.SENT),  # adapters map "played" to "read" themselves
    ],
)
def test_receipts_never_move_a_message_backwards(outbound, receipts, final):
    assert apply(outbound, *receipts).delivery_status == final


def test_failure_keeps_the_error_and_a_later_delivery_clears_it(outbound):
    assert apply(outbound, ("failed", "Re-engagement message")).delivery_error == (
        "Re-engagement message"
    )
    assert apply(outbound, ("delivered",)).delivery_error == ""


def test_unknown_ids_and_inbound_messages_are_left_alone(outbound):
    inbound = MessageFactory(ticket=outbound.ticket, external_id="wamid.IN")

    assert (
        message_delivery_update(channel=outbound.channel, external_id="wamid.?", status="read")
        is None
    )
    assert (
        message_delivery_update(channel=outbound.channel, external_id="wamid.IN", status="read")
        is None
    )
    inbound.refresh_from_db()
    assert inbound.delivery_status == DeliveryStatus.RECEIVED
