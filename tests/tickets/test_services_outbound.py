import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from channels_in.adapters.base import SIGNATURE_HEADER, hmac_hex
from helpdesk.exceptions import ApplicationError
from tests.factories.tickets import ChannelFactory, CustomerIdentityFactory, TicketFactory
from tests.http_sink import Sink
from tickets.models import DeliveryStatus, Message, Status
from tickets.services import message_retry, ticket_reply, ticket_set_status
from tickets.tasks import outbound_retry_due

pytestmark = pytest.mark.django_db


@pytest.fixture
def sink():
    with Sink() as server:
        yield server


@pytest.fixture
def ticket(sink):
    channel = ChannelFactory(kind="generic", secret="s3", config={"callback_url": sink.url})
    identity = CustomerIdentityFactory(channel=channel, external_id="u-7")
    return TicketFactory(channel=channel, customer=identity.customer)


def reply(ticket, user, text="Здравствуйте! Заказ уже в пути.", **kwargs):

    return ticket_reply(ticket=ticket, author=user, text=text, **kwargs)


def test_reply_is_posted_signed_to_the_callback_and_marked_sent(
    ticket, operator, sink, django_capture_on_commit_callbacks
):
    sink.reply_body = {"external_message_id": "out-99"}
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(ticket, operator)

    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.SENT
    assert message.external_id == "out-99"
    assert len(sink.requests) == 1
    request = sink.requests[0]
    assert request["headers"][SIGNATURE_HEADER] == "sha256=" + hmac_hex("s3", request["body"])
    sent = json.loads(request["body"])
    assert sent["external_user_id"] == "u-7"
    assert sent["text"] == "Здравствуйте! Заказ уже в пути."
    assert sent["ticket_id"] == ticket.pk


def test_first_reply_sets_first_response_and_opens_and_assigns(ticket, operator):
    message = reply(ticket, operator)

    ticket.refresh_from_db()
    assert ticket.first_response_at == message.created_at
    assert ticket.agent_reply_count == 1
    assert ticket.status == Status.OPEN
    assert ticket.assignee == operator
    assert set(ticket.events.values_list("kind", flat=True)) == {"assigned", "replied"}


def test_internal_note_is_never_sent_and_is_not_a_response(
    ticket, operator, sink, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        note = reply(ticket, operator, text="Проверить оплату в банке", internal=True)

    assert note.delivery_status == DeliveryStatus.NOT_SENT
    assert sink.requests == []
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    assert ticket.agent_reply_count == 0


def test_empty_reply_is_refused(ticket, operator):
    with pytest.raises(ApplicationError, match="needs some text"):
        reply(ticket, operator, text="   ")
    assert Message.objects.count() == 0


def test_closed_ticket_refuses_public_replies(ticket, operator):
    ticket_set_status(ticket=ticket, status=Status.CLOSED, actor=operator)
    with pytest.raises(ApplicationError, match="closed"):
        reply(ticket, operator)


def test_server_error_retries_with_backoff_then_succeeds(
    ticket, operator, sink, django_capture_on_commit_callbacks
):
    sink.statuses = [503]
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            message = reply(ticket, operator)
        message.refresh_from_db()
        assert message.delivery_status == DeliveryStatus.RETRYING
        assert message.delivery_attempts == 1
        assert "503" in message.delivery_error
        assert message.next_attempt_at == start + timedelta(seconds=15)
        assert outbound_retry_due() == 0  # not due yet

    with time_machine.travel(start + timedelta(seconds=16), tick=False):
        assert outbound_retry_due() == 1

    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.SENT
    assert message.delivery_attempts == 2
    assert len(sink.requests) == 2


def test_client_error_fails_at_once_and_operator_can_retry(
    ticket, operator, sink, django_capture_on_commit_callbacks, settings
):
    sink.statuses = [400]
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(ticket, operator)
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.FAILED
    assert "400" in message.delivery_error

    with django_capture_on_commit_callbacks(execute=True):
        message_retry(message=message, actor=operator)
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.SENT
    assert ticket.events.filter(kind="delivery_retried").exists()


def test_unreachable_endpoint_fails_after_max_attempts(
    operator, settings, django_capture_on_commit_callbacks
):
    settings.OUTBOUND_MAX_ATTEMPTS = 2
    channel = ChannelFactory(config={"callback_url": "http://127.0.0.1:9/nowhere"})
    ticket = TicketFactory(channel=channel)
    start = timezone.now()
    with (
        time_machine.travel(start, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        message = reply(ticket, operator)
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.RETRYING
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        outbound_retry_due()
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.FAILED
    assert "Could not reach" in message.delivery_error


def test_channel_without_callback_fails_without_retry(operator, django_capture_on_commit_callbacks):
    ticket = TicketFactory(channel=ChannelFactory(config={}))
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(ticket, operator)
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.FAILED
    assert "callback_url" in message.delivery_error


def test_delivery_runs_once_even_if_enqueued_twice(ticket, operator, sink):
    from tickets.services import message_deliver

    message = reply(ticket, operator)
    message_deliver(message_id=message.pk)
    message_deliver(message_id=message.pk)
    assert len(sink.requests) == 1
