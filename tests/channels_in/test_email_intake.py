"""The three ways mail comes in: signed webhook, `ingest_email` pipe, IMAP polling."""

from __future__ import annotations

import io
import re
import socketserver
import threading

import pytest
from django.core.management import call_command

from channels_in import tasks
from channels_in.models import EventStatus, InboundEvent
from channels_in.services import inbound_event_store
from tests.channels_in import email_helpers
from tests.channels_in.email_helpers import FIXTURES, read
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db
email_channel = email_helpers.email_channel
post_email = email_helpers.post_email

CUSTOMER = (
    b"From: Ann <ann@example.org>\r\nSubject: Help\r\nMessage-ID: <ann-1@example.org>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nMy printer is on fire.\r\n"
)
BOUNCE = (
    b"From: MAILER-DAEMON@mx.example.org\r\nSubject: Undelivered Mail Returned to Sender\r\n"
    b"Auto-Submitted: auto-replied\r\nMessage-ID: <dsn-1@mx.example.org>\r\n\r\nSorry.\r\n"
)


def test_wrong_signature_is_403_and_stores_nothing(email_channel, post_email):
    response = post_email(email_channel, CUSTOMER, secret="wrong")
    assert response.status_code == 403
    assert InboundEvent.objects.count() == 0


def test_empty_body_is_400_and_journaled_as_failed(email_channel, post_email):
    response = post_email(email_channel, b"  \r\n")
    assert response.status_code == 400
    assert InboundEvent.objects.get().status == EventStatus.FAILED


def test_bounce_is_journaled_as_ignored_and_opens_nothing(email_channel, post_email):
    assert post_email(email_channel, BOUNCE).json()["status"] == "accepted"
    assert InboundEvent.objects.get().status == EventStatus.IGNORED
    assert Ticket.objects.count() == 0


def test_same_person_on_another_channel_is_the_same_customer_by_email(
    email_channel, post_email, generic_channel, post_generic
):
    post_generic(
        generic_channel,
        {"external_user_id": "u-7", "email": "ann@example.org", "external_message_id": "g-1",
         "text": "hi"},
    )  # fmt: skip
    post_email(email_channel, CUSTOMER)
    assert Ticket.objects.values("customer").distinct().count() == 1


def test_ingest_email_reads_stdin_like_the_webhook(email_channel, monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(CUSTOMER)))
    call_command("ingest_email", str(email_channel.pk), stdout=out)

    assert re.match(r"event \d+: processed", out.getvalue())
    event = InboundEvent.objects.get()
    assert event.dedupe_key == "mid:ann-1@example.org"
    assert bytes(event.body) == CUSTOMER
    assert Message.objects.get().text == "My printer is on fire."

    again = io.StringIO()
    call_command("ingest_email", str(email_channel.pk), file=str(_write(CUSTOMER)), stdout=again)
    assert "duplicate" in again.getvalue()
    assert Message.objects.count() == 1


def _write(raw: bytes):
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp()) / "m.eml"
    path.write_bytes(raw)
    return path


def test_ingest_email_decodes_the_koi8r_fixture(email_channel):
    call_command("ingest_email", str(email_channel.pk), file=str(FIXTURES / "koi8r_plain.eml"))
    ticket = Ticket.objects.select_related("customer").get()
    assert ticket.subject == "Не работает оплата"
    assert ticket.customer.name == "Пётр Иванов"
    assert ticket.customer.email == "petr.ivanov@example.ru"
    assert ticket.messages.get().attachments.get().filename == "счёт.txt"


def test_ingest_email_refuses_unknown_channels(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("ingest_email", "9999", file=str(FIXTURES / "koi8r_plain.eml"))


def test_replay_inbound_reruns_failed_rows(email_channel):
    event, _ = inbound_event_store(
        channel=email_channel,
        body=read("koi8r_plain.eml"),
        headers={},
        dedupe_key="mid:koi8-1@example.ru",
        error="database was away",
    )
    out = io.StringIO()
    call_command("replay_inbound", stdout=out)
    event.refresh_from_db()
    assert event.status == EventStatus.PROCESSED
    assert "1 processed" in out.getvalue()
    assert Ticket.objects.count() == 1


class FakeImap(socketserver.StreamRequestHandler):
    """Just enough IMAP4rev1 for imaplib: LOGIN, SELECT, UID SEARCH/FETCH/STORE, LOGOUT."""

    mailbox: dict[int, dict]  # uid -> {"raw": bytes, "seen": bool}
    logins: list

    def send(self, line: bytes) -> None:
        self.wfile.write(line + b"\r\n")

    def handle(self):
        self.send(b"* OK [CAPABILITY IMAP4rev1] fake ready")
        while line := self.rfile.readline():
            tag, _, rest = line.strip().partition(b" ")
            command, _, args = rest.partition(b" ")
            command = command.upper()
            if command == b"CAPABILITY":
                self.send(b"* CAPABILITY IMAP4rev1")
            elif command == b"LOGIN":
                self.logins.append(args)
            elif command == b"SELECT":
                self.send(b"* %d EXISTS" % len(self.mailbox))
            elif command == b"UID":
                self.uid(args)
            elif command == b"LOGOUT":
                self.send(b"* BYE")
                self.send(tag + b" OK LOGOUT completed")
                return
            self.send(tag + b" OK done")

    def uid(self, args: bytes) -> None:
        sub, _, rest = args.partition(b" ")
        if sub.upper() == b"SEARCH":
            unseen = [str(uid).encode() for uid, m in self.mailbox.items() if not m["seen"]]
            self.send(b"* SEARCH " + b" ".join(unseen))
        elif sub.upper() == b"FETCH":
            uid = int(rest.split()[0])
            raw = self.mailbox[uid]["raw"]
            self.wfile.write(b"* %d FETCH (UID %d BODY[] {%d}\r\n" % (uid, uid, len(raw)))
            self.wfile.write(raw + b")\r\n")
        elif sub.upper() == b"STORE":
            uid = int(rest.split()[0])
            self.mailbox[uid]["seen"] = True
            self.send(b"* %d FETCH (UID %d FLAGS (\\Seen))" % (uid, uid))


@pytest.fixture
def imap_server():
    mailbox = {1: {"raw": CUSTOMER, "seen": False}, 2: {"raw": BOUNCE, "seen": False}}
    handler = type("Handler", (FakeImap,), {"mailbox": mailbox, "logins": []})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.mailbox = mailbox
    server.handler = handler
    yield server
    server.shutdown()
    server.server_close()


def test_imap_poll_journals_unseen_mail_and_marks_it_seen(
    email_channel, imap_server, django_capture_on_commit_callbacks
):
    email_channel.config["imap"] = {
        "host": "127.0.0.1",
        "port": imap_server.server_address[1],
        "username": "support",
        "password": "pw",
        "folder": "INBOX",
        "use_ssl": False,
    }
    email_channel.save()

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.email_imap_poll() == 2

    assert imap_server.handler.logins == [b'support "pw"']
    assert all(m["seen"] for m in imap_server.mailbox.values())
    statuses = dict(InboundEvent.objects.values_list("dedupe_key", "status"))
    assert statuses == {
        "mid:ann-1@example.org": EventStatus.PROCESSED,
        "mid:dsn-1@mx.example.org": EventStatus.IGNORED,
    }
    assert Ticket.objects.get().customer.email == "ann@example.org"

    imap_server.mailbox[1]["seen"] = False  # the same mail again: the journal drops it
    with django_capture_on_commit_callbacks(execute=True):
        tasks.email_imap_poll()
    assert InboundEvent.objects.count() == 2
    assert Message.objects.count() == 1


def test_imap_poll_skips_channels_without_imap_config_and_survives_errors(email_channel):
    assert tasks.email_imap_poll() == 0
    email_channel.config["imap"] = {"host": "127.0.0.1", "port": 1, "use_ssl": False}
    email_channel.save()
    assert tasks.email_imap_poll() == 0  # connection refused is logged, not raised
