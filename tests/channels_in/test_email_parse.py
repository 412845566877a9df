"""The email parser, loops and quote stripping as pure functions (no database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from channels_in.adapters.email import email_dedupe_key
from channels_in.adapters.email.parse import parse_mail
from channels_in.adapters.email.quotes import strip_quoted
from channels_in.adapters.email.send import reply_subject
from tests.channels_in.email_helpers import read

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def parse(raw: bytes):
    return parse_mail(raw, now=NOW)


def mail(headers: str, body: str = "Hello", charset: str = "utf-8") -> bytes:
    head = headers.strip().replace("\n", "\r\n")
    content = f"Content-Type: text/plain; charset={charset}\r\n"
    return (head + "\r\n" + content + "\r\n").encode() + body.encode(charset)


def test_koi8r_mail_decodes_headers_body_and_attachment_name():
    parsed = parse(read("koi8r_plain.eml"))

    assert parsed.subject == "Не работает оплата"
    assert parsed.sender_name == "Пётр Иванов"
    assert parsed.sender_email == "petr.ivanov@example.ru"
    assert parsed.text == "Здравствуйте!\nОплата картой не проходит уже второй день."
    assert [a.filename for a in parsed.attachments] == ["счёт.txt"]
    assert parsed.attachments[0].content.decode("koi8-r") == "Счёт 42"
    assert parsed.sent_at == datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
    assert parsed.message_id == "koi8-1@example.ru"
    assert not parsed.loop


def test_windows_1251_body_decodes():
    parsed = parse(read("zammad/mail069.box"))
    assert parsed.loop == ""
    assert "Günstigster Preis" in " ".join(a.filename for a in parsed.attachments)
    raw = mail("From: a@b.ru\nSubject: x", "Привет, мир", charset="windows-1251")
    assert parse(raw).text == "Привет, мир"


def test_windows_1251_encoded_words_in_headers():
    parsed = parse(read("zammad/mail006.box"))
    assert "Сергей Углицких" in parsed.subject
    assert "Priorität" in parsed.subject


def test_iso_2022_jp_subject_and_body():
    parsed = parse(read("zammad/mail091.box"))
    assert parsed.subject == "メルマガ解除"
    assert "このアドレスへのメルマガを解除してください。" in parsed.text


def test_html_only_mail_gets_sanitised_html_and_a_text_version():
    parsed = parse(read("html_only_inline_image.eml"))

    assert parsed.text == "Hello team,\nmy order #7 is late."
    assert "alert" not in parsed.text
    assert [a.filename for a in parsed.attachments] == ["logo.png"]
    assert parsed.attachments[0].content.startswith(b"\x89PNG")


def test_multipart_alternative_prefers_plain_text_and_keeps_html():
    parsed = parse(read("chatwoot/mail_with_plain_text_and_inline_image.eml"))
    assert parsed.text
    assert "<" not in parsed.text.splitlines()[0]


@pytest.mark.parametrize("charset", ["x-unknown-charset", "3Dutf-8", "", 'utf-8"'])
def test_unknown_or_broken_charsets_fall_back_without_crashing(charset):
    raw = b"From: a@b.org\r\nSubject: =?x-bogus?Q?Caf=E9?=\r\nContent-Type: text/plain; charset="
    raw += charset.encode() + b"\r\n\r\nCaf\xc3\xa9 \xff ok"
    parsed = parse(raw)
    assert parsed.text.startswith("Café")
    assert "\udcff" not in parsed.text and "\x00" not in parsed.text


def test_missing_date_subject_and_message_id():
    raw = b"From: Ann <ann@example.org>\r\n\r\nJust text"
    parsed = parse(raw)
    assert parsed.sent_at == NOW
    assert parsed.subject == ""
    assert parsed.message_id.startswith("sha256:")
    assert email_dedupe_key(raw) == parsed.message_id


def test_dedupe_key_is_the_normalised_message_id():
    raw = mail("From: a@b.org\nMessage-ID:   <Abc.1@Host>  ")
    assert email_dedupe_key(raw) == "mid:Abc.1@Host"


def test_future_date_is_clamped_to_now():
    parsed = parse(mail("From: a@b.org\nDate: Mon, 1 Jan 2090 00:00:00 +0000"))
    assert parsed.sent_at == NOW


def test_threading_headers_and_subject_reference():
    raw = mail(
        "From: a@b.org\nSubject: Re: Refund [#1234]\nIn-Reply-To: <m2@x>\n"
        "References: <m1@x>\n <m2@x>"
    )
    parsed = parse(raw)
    assert parsed.thread_refs == ("m2@x", "m1@x")
    assert parsed.in_reply_to == "m2@x"
    assert parsed.ticket_ref == 1234


def test_forwarded_message_is_an_eml_attachment_and_readable():
    parsed = parse(read("imap_tools/forwarded_message.eml"))
    assert any(a.filename.endswith(".eml") for a in parsed.attachments)
    assert "Forwarded message" in parsed.text


def test_attachment_without_filename_gets_a_name():
    parsed = parse(read("chatwoot/attachments_without_filename.eml"))
    assert parsed.attachments
    assert all(a.filename for a in parsed.attachments)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ("Auto-Submitted: auto-replied", "Auto-Submitted"),
        ("X-Autoreply: yes", "X-Autoreply"),
        ("X-Autorespond: yes", "X-Autorespond"),
        ("Precedence: bulk", "Precedence"),
        ("Precedence: list", "Precedence"),
        ("Return-Path: <>", "null envelope"),
    ],
)
def test_automatic_mail_is_detected(headers, reason):
    assert reason in parse(mail(f"From: a@b.org\n{headers}")).loop


def test_auto_submitted_no_and_ordinary_mail_are_people():
    assert parse(mail("From: a@b.org\nAuto-Submitted: no")).loop == ""
    assert parse(mail("From: a@b.org\nPrecedence: first-class")).loop == ""


def test_mailer_daemon_and_missing_sender_are_system_mail():
    assert parse(mail("From: MAILER-DAEMON@mx.example.org\nSubject: hi")).loop
    assert parse(mail("Subject: no sender")).loop == "no sender address"


def _sisimai() -> list[tuple[str, str]]:
    import json

    from tests.channels_in.email_helpers import CORPUS

    path = CORPUS / "sisimai_bounces" / "expected.json"
    if not path.is_file():
        return []
    mails = json.loads(path.read_text())["mails"]
    return sorted((name, value["kind"]) for name, value in mails.items())


@pytest.mark.parametrize(("name", "kind"), _sisimai())
def test_sisimai_bounces_and_auto_replies_are_loops(name, kind):
    parsed = parse(read(f"sisimai_bounces/{name}"))
    if kind == "not_a_bounce" and name != "not-bounce/rb-issue-368-bug.eml":
        assert parsed.loop == ""
    else:  # bounces, RFC 3834 auto-replies, ARF reports (and rb-issue-368: Auto-Submitted)
        assert parsed.loop


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thanks!\n\nOn Mon, 1 Jan 2026, Support <s@x.org> wrote:\n> old\n> older", "Thanks!"),
        ("Thanks!\nOn Mon, 1 Jan 2026 at 10:00, Support <\ns@x.org> wrote:\n> old", "Thanks!"),
        ("Ок\n\n-----Original Message-----\nFrom: Support\nSent: today\n\nold", "Ок"),
        ("Спасибо\n\n21.11.2026 10:00, Поддержка пишет:\n> старое", "Спасибо"),
        ("Спасибо\n\nПн, 21 ноя 2026, Поддержка писал(а):\n> старое", "Спасибо"),
        ("Danke\n\nAm 21.11.2026 um 10:00 schrieb Support <s@x.org>:\n> alt", "Danke"),
        ("Yes.\n\n> quoted line\n> another", "Yes."),
        ("Fine\n\n________________________________\nFrom: Support\nSent: Monday", "Fine"),
        ("> all quoted\n> nothing new", "> all quoted\n> nothing new"),
        ("See below\n\n---------- Forwarded message ---------\nFrom: X\nDate: Y\n\nbody",
         "See below\n\n---------- Forwarded message ---------\nFrom: X\nDate: Y\n\nbody"),
        ("> inline question\nmy answer", "> inline question\nmy answer"),
    ],
)  # fmt: skip
def test_quoted_history_is_stripped(text, expected):
    assert strip_quoted(text) == expected


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Refund", "Re: Refund [#7]"),
        ("Re: RE: Refund [#7]", "Re: Refund [#7]"),
        ("AW: Fwd: Refund", "Re: Refund [#7]"),
        ("", "Re: [#7]"),
    ],
)
def test_reply_subject_carries_the_ticket_reference(subject, expected):
    assert reply_subject(subject, 7) == expected
