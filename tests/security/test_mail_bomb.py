"""Mail bombs through the signed email webhook: every one answered quickly, stored within
the limits, with a note of what was dropped; the raw mail kept in the journal."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from channels_in.adapters.email.parse import parse_mail
from channels_in.models import EventStatus, InboundEvent
from tests.channels_in import email_helpers
from tickets.models import Attachment, Message

email_channel = email_helpers.email_channel  # fixtures
post_email = email_helpers.post_email

HEAD = (
    b"From: Mallory <mallory@example.net>\r\nTo: support@helpdesk.example\r\n"
    b"Subject: %s\r\nMessage-ID: <%s@example.net>\r\nMIME-Version: 1.0\r\n"
)


def nested(depth: int, *, mid: bytes = b"deep") -> bytes:
    body = b"Content-Type: text/plain\r\n\r\nThe innermost words.\r\n"
    for level in range(depth):
        boundary = b"b%d" % level
        body = (
            b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\r\n\r\n'
            b"--" + boundary + b"\r\n" + body + b"\r\n--" + boundary + b"--\r\n"
        )
    return HEAD % (b"deep", mid) + body


def many_parts(count: int, *, mid: bytes = b"many") -> bytes:
    parts = b"".join(
        b"--X\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; "
        b'filename="f%d.txt"\r\n\r\npart %d\r\n' % (i, i)
        for i in range(count)
    )
    return (
        HEAD % (b"many parts", mid)
        + b'Content-Type: multipart/mixed; boundary="X"\r\n\r\n'
        + b"--X\r\nContent-Type: text/plain\r\n\r\nSee the files.\r\n"
        + parts
        + b"--X--\r\n"
    )


def big_attachments(count: int, size: int, *, mid: bytes = b"big") -> bytes:
    import base64

    blob = base64.encodebytes(b"\x89" * size)
    parts = b"".join(
        b"--Y\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64"
        b'\r\nContent-Disposition: attachment; filename="blob%d.bin"\r\n\r\n' % i + blob
        for i in range(count)
    )
    return (
        HEAD % (b"big files", mid)
        + b'Content-Type: multipart/mixed; boundary="Y"\r\n\r\n'
        + b"--Y\r\nContent-Type: text/plain\r\n\r\nHuge files attached.\r\n"
        + parts
        + b"--Y--\r\n"
    )


def _stored(channel):
    event = InboundEvent.objects.get(channel=channel)
    assert event.status == EventStatus.PROCESSED, event.error
    return event, Message.objects.get(ticket__channel=channel)


@pytest.mark.django_db
def test_deep_nesting_past_the_limit_is_stored_with_a_note(settings, email_channel, post_email):
    settings.EMAIL_MAX_DEPTH = 8
    response = post_email(email_channel, nested(30))
    assert response.status_code == 200, response.content
    _event, message = _stored(email_channel)
    assert "nested deeper than 8 levels" in message.text
    assert "innermost" not in message.text


@pytest.mark.django_db
def test_nesting_too_deep_for_the_parser_keeps_the_headers(email_channel, post_email):
    raw = nested(3000)
    started = time.monotonic()
    response = post_email(email_channel, raw)
    assert response.status_code == 200, response.content
    assert time.monotonic() - started < 20
    event, message = _stored(email_channel)
    assert bytes(event.body) == raw  # the original stays in the journal
    assert message.ticket.subject == "deep"
    assert message.ticket.customer.email == "mallory@example.net"
    assert "too deeply to read" in message.text


@pytest.mark.django_db
def test_thousands_of_parts_stop_at_the_part_limit(settings, email_channel, post_email):
    settings.EMAIL_MAX_PARTS = 100
    settings.EMAIL_MAX_ATTACHMENTS = 1000
    settings.ATTACHMENT_MAX_COUNT = 1000  # the intake's own cap is not what this test is about
    started = time.monotonic()
    response = post_email(email_channel, many_parts(20_000))
    assert response.status_code == 200, response.content
    assert time.monotonic() - started < 30
    _event, message = _stored(email_channel)
    # The body part and 99 files fit; the rest is noted, not stored.
    assert Attachment.objects.filter(message=message).count() == 99
    assert message.text.startswith("See the files.")
    assert "past the limit of 100 parts" in message.text


@pytest.mark.django_db
def test_attachments_past_the_count_limit_are_named_in_the_note(
    settings, email_channel, post_email
):
    settings.EMAIL_MAX_ATTACHMENTS = 5
    response = post_email(email_channel, many_parts(12))
    assert response.status_code == 200
    _event, message = _stored(email_channel)
    assert Attachment.objects.filter(message=message).count() == 5
    assert "7 attachment(s) past the limit of 5 files" in message.text
    assert "f5.txt" in message.text and "f11.txt" in message.text


@pytest.mark.django_db
def test_huge_attachments_stop_at_the_decoded_size_limit(settings, email_channel, post_email):
    settings.EMAIL_MAX_DECODED = 3 * 1024 * 1024
    response = post_email(email_channel, big_attachments(4, 1024 * 1024))
    assert response.status_code == 200
    _event, message = _stored(email_channel)
    stored = Attachment.objects.filter(message=message)
    assert stored.count() == 2  # 2 MiB fit beside the text; the third would pass 3 MiB
    assert sum(a.size for a in stored) == 2 * 1024 * 1024
    assert "blob2.bin (1048576 bytes)" in message.text
    assert "blob3.bin" in message.text


def test_ordinary_mail_carries_no_note():
    mail = parse_mail(many_parts(3), now=timezone.now())
    assert "mail limits" not in mail.text
    assert len(mail.attachments) == 3


@pytest.mark.django_db
def test_an_email_body_over_the_kind_limit_is_refused_before_parsing(
    settings, email_channel, client
):
    settings.WEBHOOK_MAX_BODY_BY_KIND = {**settings.WEBHOOK_MAX_BODY_BY_KIND, "email": 1000}
    raw = many_parts(100)
    response = email_helpers.signed_post(client, email_channel, raw)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert not InboundEvent.objects.exists()
