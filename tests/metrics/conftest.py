"""Small hand-built datasets: every timestamp given explicitly."""

from datetime import UTC, datetime, timedelta

import pytest

from metrics.filters import MetricFilter
from tests.factories.tickets import ChannelFactory, CustomerFactory, MessageFactory, TicketFactory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def at(days=0, hours=0, minutes=0, seconds=0):
    return T0 + timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def make_ticket(*, created, frt_min=None, solved=None, replies=None, **kw):
    """A ticket created at `created`; first human reply `frt_min` minutes later."""
    first_response = created + timedelta(minutes=frt_min) if frt_min is not None else None
    if replies is None:
        replies = 1 if frt_min is not None else 0
    status = kw.pop("status", "solved" if solved else ("open" if first_response else "new"))
    return TicketFactory(
        created_at=created,
        first_customer_message_at=created,
        last_customer_message_at=created,
        first_response_at=first_response,
        solved_at=solved,
        status=status,
        agent_reply_count=replies,
        **kw,
    )


def bot_message(ticket, when):
    return MessageFactory(
        ticket=ticket, direction="out", author_kind="bot", created_at=when, sent_at=when
    )


@pytest.fixture
def period():
    return MetricFilter(start=at(0), end=at(7))


@pytest.fixture
def channel(db):
    return ChannelFactory(kind="telegram", name="TG")


@pytest.fixture
def customer(db):
    return CustomerFactory()
