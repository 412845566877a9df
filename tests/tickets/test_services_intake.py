from datetime import UTC, datetime

import pytest

from tests.factories.tickets import ChannelFactory
from tickets import dispatch
from tickets.inbound import InboundMessage, SenderIdentity
from tickets.models import Customer, CustomerIdentity, Status, Ticket
from tickets.services import receive, ticket_set_status

pytestmark = pytest.mark.django_db


def inbound(channel, n, *, user="u-1", text="Hello", **sender):
    return InboundMessage(
        channel_id=channel.pk,
        external_message_id=f"m-{n}",
        sender=SenderIdentity(external_id=user, name=sender.pop("name", "Anna Lee"), **sender),
        text=text,
        html=sender.pop("html", ""),
        sent_at=datetime(2026, 11, 20, 9, n, tzinfo=UTC),
    )


def test_solved_ticket_reopens_on_a_new_customer_message(operator):
    channel = ChannelFactory()
    ticket = receive(msg=inbound(channel, 1)).message.ticket
    ticket_set_status(ticket=ticket, status=Status.SOLVED, actor=operator)

    result = receive(msg=inbound(channel, 2, text="Still broken"))

    ticket.refresh_from_db()
    assert result.message.ticket_id == ticket.pk
    assert ticket.status == Status.OPEN
    assert ticket.reopen_count == 1
    assert ticket.solved_at is None
    assert ticket.events.filter(kind="reopened").exists()


def test_closed_ticket_is_final_and_a_new_message_opens_a_new_ticket(operator):
    channel = ChannelFactory()
    first = receive(msg=inbound(channel, 1)).message.ticket
    ticket_set_status(ticket=first, status=Status.CLOSED, actor=operator)

    result = receive(msg=inbound(channel, 2))

    assert result.ticket_created
    assert result.message.ticket_id != first.pk
    assert Ticket.objects.count() == 2


def test_pending_ticket_goes_back_to_open_when_the_customer_answers(operator):
    channel = ChannelFactory()
    ticket = receive(msg=inbound(channel, 1)).message.ticket
    ticket_set_status(ticket=ticket, status=Status.PENDING, actor=operator)

    receive(msg=inbound(channel, 2))

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_same_email_on_two_channels_is_one_customer():
    mail, chat = ChannelFactory(), ChannelFactory()
    receive(msg=inbound(mail, 1, user="anna@example.org", email="anna@example.org"))
    receive(msg=inbound(chat, 2, user="chat-77", email="Anna@Example.org"))

    assert Customer.objects.count() == 1
    assert CustomerIdentity.objects.count() == 2
    assert Ticket.objects.count() == 2  # one conversation per channel


def test_email_html_is_sanitised_before_it_is_stored():
    channel = ChannelFactory()
    msg = inbound(channel, 1)
    msg = InboundMessage(
        **{
            **msg.__dict__,
            "html": '<p onclick="x()">Hi<script>alert(1)</script><a href="javascript:x">l</a></p>',
        }
    )
    message = receive(msg=msg).message

    assert "<script" not in message.html
    assert "onclick" not in message.html
    assert "javascript:" not in message.html
    assert "<p>Hi" in message.html


def test_subscribers_hear_ticket_and_message_events_inside_the_transaction():
    heard = []

    def on_created(*, ticket, message):
        heard.append(("created", ticket.pk, message.pk))

    def on_message(*, ticket, message, previous_status):
        heard.append(("message", ticket.pk, previous_status))

    dispatch.subscribe(dispatch.TICKET_CREATED, on_created)
    dispatch.subscribe(dispatch.MESSAGE_RECEIVED, on_message)
    try:
        channel = ChannelFactory()
        ticket = receive(msg=inbound(channel, 1)).message.ticket
        receive(msg=inbound(channel, 2))
    finally:
        dispatch.unsubscribe(dispatch.TICKET_CREATED, on_created)
        dispatch.unsubscribe(dispatch.MESSAGE_RECEIVED, on_message)

    assert heard[0][:2] == ("created", ticket.pk)
    assert heard[1] == ("message", ticket.pk, "new")
    assert heard[2] == ("message", ticket.pk, "new")


def test_live_events_are_published_after_commit(django_capture_on_commit_callbacks, monkeypatch):
    published = []
    monkeypatch.setattr(
        "helpdesk.realtime.publish", lambda *, event, groups: published.append((event, groups))
    )
    channel = ChannelFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ticket = receive(msg=inbound(channel, 1)).message.ticket
    assert published == []  # nothing leaves before the commit

    for callback in callbacks:
        callback()

    types = [event["type"] for event, _ in published]
    assert types == ["ticket.created", "message.created"]
    assert f"ticket.{ticket.pk}" in published[0][1]
    assert "queue" in published[0][1]
