"""Replies out by SMTP to a real SMTP server (aiosmtpd on 127.0.0.1), and the thread back."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from tests.channels_in import email_helpers
from tickets.models import DeliveryStatus, Message, Ticket
from tickets.services import ticket_reply

pytestmark = pytest.mark.django_db
post_email = email_helpers.post_email


class Recorder:
    """Keeps every accepted mail; `refuse` makes RCPT TO answer with that SMTP reply."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.refuse = ""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=_free_port())
    controller.start()
    recorder.port = controller.port
    yield recorder
    controller.stop()


@pytest.fixture
def channel(db, smtp_server):
    from tests.factories.tickets import ChannelFactory

    return ChannelFactory(
        kind="email",
        name="Support",
        secret="mail-secret",
        config={
            "from_address": "support@helpdesk.example",
            "from_name": "Acme Support",
            "smtp": {"host": "127.0.0.1", "port": smtp_server.port, "timeout": 5},
        },
    )


FIRST = (
    b"From: =?utf-8?B?0JjRgNC40L3QsA==?= <Irina@Example.org>\r\n"
    b"To: support@helpdesk.example\r\nSubject: Where is my order?\r\n"
    b"Message-ID: <first-1@example.org>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nOrder 1042 has not arrived.\r\n"
)


def _reply(operator, ticket, text, django_capture_on_commit_callbacks) -> Message:
    with django_capture_on_commit_callbacks(execute=True):
        message = ticket_reply(ticket=ticket, author=operator, text=text)
    message.refresh_from_db()
    return message


def test_round_trip_customer_mail_reply_and_customer_answer_share_one_ticket(
    channel, smtp_server, post_email, operator, django_capture_on_commit_callbacks
):
    post_email(channel, FIRST)
    ticket = Ticket.objects.get()
    assert ticket.customer.email == "irina@example.org"

    sent = _reply(operator, ticket, "Ваш заказ в пути.", django_capture_on_commit_callbacks)

    assert sent.delivery_status == DeliveryStatus.SENT, sent.delivery_error
    mail_from, rcpt, content = smtp_server.messages[-1]
    assert mail_from == "support@helpdesk.example"
    assert rcpt == ["irina@example.org"]
    out = message_from_bytes(content, policy=policy.default)
    assert out["Subject"] == f"Re: Where is my order? [#{ticket.pk}]"
    assert out["In-Reply-To"] == "<first-1@example.org>"
    assert out["References"] == "<first-1@example.org>"
    assert out["From"].addresses[0].addr_spec == "support@helpdesk.example"
    assert out["From"].addresses[0].display_name == "Acme Support"
    assert out["Message-ID"].endswith("@helpdesk.example>")
    assert sent.external_id == out["Message-ID"].strip("<>")
    assert out.get_content().strip() == "Ваш заказ в пути."

    answer = (
        b"From: Irina <irina@example.org>\r\nTo: support@helpdesk.example\r\n"
        b"Subject: Re: Where is my order?\r\nMessage-ID: <second-2@example.org>\r\n"
        b"In-Reply-To: " + out["Message-ID"].encode() + b"\r\n"
        b"References: <first-1@example.org> " + out["Message-ID"].encode() + b"\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nThanks, got it!\r\n\r\n"
        b"On Sat, 21 Nov 2026 Acme Support <support@helpdesk.example> wrote:\r\n"
        b"> \xd0\x92\xd0\xb0\xd1\x88 \xd0\xb7\xd0\xb0\xd0\xba\xd0\xb0\xd0\xb7\r\n"
    )
    post_email(channel, answer)

    assert Ticket.objects.count() == 1
    last = Message.objects.order_by("-pk").first()
    assert last.ticket_id == ticket.pk
    assert last.text == "Thanks, got it!"

    second = _reply(operator, ticket, "Glad to help.", django_capture_on_commit_callbacks)
    out2 = message_from_bytes(smtp_server.messages[-1][2], policy=policy.default)
    assert out2["In-Reply-To"] == "<second-2@example.org>"
    assert out2["References"].split() == [
        "<first-1@example.org>",
        out["Message-ID"],
        "<second-2@example.org>",
    ]
    assert second.delivery_status == DeliveryStatus.SENT


def test_subject_reference_threads_a_reply_without_headers(channel, post_email):
    post_email(channel, FIRST)
    ticket = Ticket.objects.get()
    other = FIRST.replace(b"first-1@", b"other-3@").replace(
        b"Where is my order?", f"Re: order [#{ticket.pk}]".encode()
    )
    ticket.status = "closed"  # closed tickets are final, even when referenced
    ticket.save()
    post_email(channel, other)
    assert Ticket.objects.count() == 2

    ticket2 = Ticket.objects.order_by("-pk").first()
    third = FIRST.replace(b"first-1@", b"third-4@").replace(
        b"Where is my order?", f"Re: more [#{ticket2.pk}]".encode()
    )
    post_email(channel, third)
    assert Message.objects.get(external_id="third-4@example.org").ticket_id == ticket2.pk


def test_subject_reference_to_another_customers_ticket_is_not_followed(channel, post_email):
    post_email(channel, FIRST)
    ticket = Ticket.objects.get()
    stranger = (
        FIRST.replace(b"Irina@Example.org", b"mallory@evil.example")
        .replace(b"first-1@", b"evil-1@")
        .replace(b"Where is my order?", f"Re: [#{ticket.pk}]".encode())
    )
    post_email(channel, stranger)
    assert Message.objects.get(external_id="evil-1@example.org").ticket_id != ticket.pk


def test_permanent_smtp_refusal_fails_without_retry(
    channel, smtp_server, post_email, operator, django_capture_on_commit_callbacks
):
    post_email(channel, FIRST)
    smtp_server.refuse = "550 5.1.1 No such user"
    sent = _reply(operator, Ticket.objects.get(), "Hello", django_capture_on_commit_callbacks)
    assert sent.delivery_status == DeliveryStatus.FAILED
    assert "550" in sent.delivery_error


def test_temporary_smtp_refusal_is_retried(
    channel, smtp_server, post_email, operator, django_capture_on_commit_callbacks
):
    post_email(channel, FIRST)
    smtp_server.refuse = "451 4.7.1 Try again later"
    sent = _reply(operator, Ticket.objects.get(), "Hello", django_capture_on_commit_callbacks)
    assert sent.delivery_status == DeliveryStatus.RETRYING
    assert sent.next_attempt_at is not None


def test_unreachable_smtp_server_is_retried(
    channel, post_email, operator, django_capture_on_commit_callbacks
):
    post_email(channel, FIRST)
    channel.config["smtp"]["port"] = _free_port()  # nobody listens there
    channel.save()
    sent = _reply(operator, Ticket.objects.get(), "Hello", django_capture_on_commit_callbacks)
    assert sent.delivery_status == DeliveryStatus.RETRYING
    assert "Could not reach the mail server" in sent.delivery_error


def test_missing_from_address_is_a_permanent_configuration_error(
    channel, post_email, operator, django_capture_on_commit_callbacks
):
    post_email(channel, FIRST)
    channel.config.pop("from_address")
    channel.save()
    sent = _reply(operator, Ticket.objects.get(), "Hello", django_capture_on_commit_callbacks)
    assert sent.delivery_status == DeliveryStatus.FAILED
    assert "from_address" in sent.delivery_error


def test_auto_reply_to_our_reply_opens_nothing(channel, post_email):
    post_email(channel, FIRST)
    vacation = FIRST.replace(b"first-1@", b"ooo-1@").replace(
        b"Subject:", b"Auto-Submitted: auto-replied\r\nSubject:"
    )
    response = post_email(channel, vacation)
    assert response.status_code == 200
    assert Message.objects.count() == 1
