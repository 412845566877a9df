"""Attachments: downloads never render in our origin, names are safe, limits hold, and no
path reaches outside the media folder."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from django.core.files.base import ContentFile

from channels_in.attachment_limits import attachments_within_limits, safe_filename
from tests.channels_in import email_helpers
from tests.factories.tickets import MessageFactory
from tests.security.conftest import client_for
from tickets.inbound import AttachmentRef, InboundMessage, SenderIdentity
from tickets.models import Attachment, Message

email_channel = email_helpers.email_channel
post_email = email_helpers.post_email

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _stored(world, name: str, content: bytes, content_type: str) -> Attachment:
    attachment = Attachment(message=world.message, filename=name, content_type=content_type)
    attachment.file.save(name, ContentFile(content), save=True)
    return attachment


def test_files_are_downloads_with_nosniff(world):
    html = _stored(world, "page.html", b"<script>alert(1)</script>", "text/html")
    response = client_for(world.users["operator"]).get(html.file.url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_raster_images_are_inline_but_svg_is_not(world):
    operator = client_for(world.users["operator"])
    png = _stored(world, "photo.png", PNG, "image/png")
    response = operator.get(png.file.url)
    assert response["Content-Disposition"].startswith("inline;")
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    svg = _stored(world, "logo.svg", b"<svg onload='alert(1)'/>", "image/svg+xml")
    response = operator.get(svg.file.url)
    assert response["Content-Disposition"].startswith("attachment;")


def test_anonymous_visitors_get_no_file(world):
    response = client_for(None).get(world.attachment.file.url)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize(
    "path",
    [
        "/media/../helpdesk/settings.py",
        "/media/%2e%2e/%2e%2e/etc/passwd",
        "/media/..%2f..%2fetc%2fpasswd",
        "/media//etc/passwd",
        "/media/attachments/%00.txt",
        "/media/attachments/../../../../etc/passwd",
    ],
)
def test_no_path_leaves_the_media_folder(world, path):
    response = client_for(world.users["admin"]).get(path)
    assert response.status_code in (400, 404), response.status_code
    assert b"root:" not in response.content and b"SECRET_KEY" not in response.content


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("/abs/path/report.pdf", "report.pdf"),
        (".htaccess", "htaccess"),
        ("a\x00b\r\n.txt", "a_b__.txt"),
        ("", "attachment"),
        ("..", "attachment"),
        ("<img src=x onerror=alert(1)>.png", "_img src=x onerror=alert(1)_.png"),
    ],
)
def test_safe_filename(given, expected):
    assert safe_filename(given) == expected


def test_long_names_keep_their_extension():
    name = safe_filename("x" * 500 + ".pdf")
    assert len(name) <= 180 and name.endswith(".pdf")


def _msg(attachments):
    from django.utils import timezone

    return InboundMessage(
        channel_id=1,
        external_message_id="m1",
        sender=SenderIdentity(external_id="u1"),
        text="hello",
        sent_at=timezone.now(),
        attachments=attachments,
    )


def test_count_and_size_limits(settings):
    settings.ATTACHMENT_MAX_COUNT = 2
    settings.ATTACHMENT_MAX_BYTES = 10
    refs = [
        AttachmentRef(filename="ok.txt", content=b"12345"),
        AttachmentRef(filename="big.bin", content=b"x" * 11),
        AttachmentRef(filename="../ok2.txt", content=b"1"),
        AttachmentRef(filename="third.txt", content=b"1"),
        AttachmentRef(filename="remote.jpg", url="https://cdn.example/x", size=5000),
    ]
    msg = attachments_within_limits(_msg(refs))
    assert [a.filename for a in msg.attachments] == ["ok.txt", "ok2.txt"]
    assert msg.text.startswith("hello\n\n[Attachments not kept: ")
    assert "big.bin (larger than 10 bytes)" in msg.text
    assert "third.txt (more than 2 attachments)" in msg.text
    assert "remote.jpg" in msg.text


def test_email_intake_applies_names_and_limits(email_channel, post_email, settings):
    settings.ATTACHMENT_MAX_COUNT = 2
    mail = EmailMessage()
    mail["From"] = "Carla <carla@example.org>"
    mail["To"] = "support@helpdesk.example"
    mail["Subject"] = "Files"
    mail["Message-ID"] = "<files-1@example.org>"
    mail.set_content("See the files.")
    for name in ("../../../../tmp/evil.sh", "b.txt", "c.txt"):
        mail.add_attachment(b"data", maintype="text", subtype="plain", filename=name)
    response = post_email(email_channel, mail.as_bytes())
    assert response.status_code == 200
    message = Message.objects.get(direction="in")
    names = sorted(a.filename for a in message.attachments.all())
    assert names == ["b.txt", "evil.sh"]
    for attachment in message.attachments.all():
        assert ".." not in attachment.file.name and attachment.file.name.startswith("attachments/")
    assert "c.txt (more than 2 attachments)" in message.text


def test_attachment_page_link_is_our_media_url(world):
    MessageFactory(ticket=world.ticket)
    html = client_for(world.users["operator"]).get(f"/tickets/{world.ticket.pk}/").content
    assert world.attachment.file.url.encode() in html
