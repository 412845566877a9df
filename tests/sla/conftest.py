"""SLA fixtures: a clean slate of policies, and a customer message helper through receive()."""

import datetime as dt
import itertools

import pytest

from sla.models import SlaPolicy
from tests.factories.sla import SlaPolicyFactory
from tests.factories.tickets import ChannelFactory, UserFactory
from tickets.inbound import InboundMessage, SenderIdentity
from tickets.services import receive

UTC = dt.UTC
# A Monday.
T0 = dt.datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
_ids = itertools.count(1)


@pytest.fixture
def policy(db):
    """The only active policy: calendar time, 60 / 120 / 480 minutes."""
    SlaPolicy.objects.all().delete()
    return SlaPolicyFactory(name="Test", position=100)


@pytest.fixture
def channel(db):
    return ChannelFactory(kind="telegram")


@pytest.fixture
def agent(db):
    return UserFactory(username="anna", role="operator", email="anna@example.com")


@pytest.fixture
def customer_says(channel):
    """Deliver one customer message through receive(); returns the ticket."""

    def _say(text="Hello?", *, user="u1", at=None):
        msg = InboundMessage(
            channel_id=channel.pk,
            external_message_id=f"m{next(_ids)}",
            sender=SenderIdentity(external_id=user, name="Carl"),
            text=text,
            sent_at=at or dt.datetime.now(tz=UTC),
        )
        result = receive(msg=msg)
        ticket = result.message.ticket
        ticket.refresh_from_db()
        return ticket

    return _say
