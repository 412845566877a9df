"""The XSS corpus, sent through the real intake as message text, customer names, subjects,
email HTML and attachment names, then rendered in Chromium on the queue, the ticket page with
its customer card, and the dashboards: no payload runs, none becomes markup, each reads as
text."""

from __future__ import annotations

import base64
import json
from email.message import EmailMessage
from email.utils import formataddr

import pytest
from django.test import Client

from channels_in.adapters.base import SIGNATURE_HEADER, hmac_hex
from tests.factories.tickets import ChannelFactory
from tests.security.browser.conftest import shot, violations, xss_fired
from tests.security.xss_corpus import INJECTED_SELECTOR, PAYLOADS
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def _signed(client, channel, body: bytes, content_type: str):
    return client.post(
        f"/webhooks/{channel.kind}/{channel.pk}/",
        data=body,
        content_type=content_type,
        headers={SIGNATURE_HEADER: "sha256=" + hmac_hex(channel.secret, body)},
    )


def _send_corpus() -> tuple[list[Ticket], list[Ticket]]:
    client = Client()
    generic = ChannelFactory(kind="generic", name="Bridge")
    email = ChannelFactory(
        kind="email", name="Mail", config={"from_address": "support@helpdesk.example"}
    )
    for i, payload in enumerate(PAYLOADS):
        body = json.dumps(
            {
                "external_user_id": f"user-{i}",
                "external_message_id": f"msg-{i}",
                "name": payload,
                "text": payload,
                "attachments": [
                    {
                        "filename": payload[:100] + ".txt",
                        "content_type": "text/plain",
                        "content_base64": base64.b64encode(b"x").decode(),
                    }
                ],
            }
        ).encode()
        assert _signed(client, generic, body, "application/json").status_code == 200
        mail = EmailMessage()
        mail["From"] = formataddr((payload[:60], f"sender{i}@example.org"))
        mail["To"] = "support@helpdesk.example"
        mail["Subject"] = payload
        mail["Message-ID"] = f"<xss-{i}@example.org>"
        mail.set_content(f"Plain part {i}")
        mail.add_alternative(f"<p>HTML part {i}</p>{payload}", subtype="html")
        mail.add_attachment(b"x", maintype="text", subtype="plain", filename=payload[:80])
        assert _signed(client, email, mail.as_bytes(), "message/rfc822").status_code == 200
    return (
        list(Ticket.objects.filter(channel=generic).order_by("pk")),
        list(Ticket.objects.filter(channel=email).order_by("pk")),
    )


def _check(page, url: str, problems: list[str]) -> None:
    response = page.goto(url)
    assert response.status < 400, (url, response.status)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(150)  # autofocus / toggle events fire after load
    fired = xss_fired(page)
    if fired:
        problems.append(f"{url}: payloads ran: {fired}")
    injected = page.eval_on_selector_all(
        INJECTED_SELECTOR, "els => els.map(e => e.outerHTML.slice(0, 120))"
    )
    # Our own markup has none of these: whatever matches came from a payload.
    if injected:
        problems.append(f"{url}: payload markup in the page: {injected}")
    found = violations(page)
    if found:
        problems.append(f"{url}: CSP violations: {found}")


def test_corpus_never_runs(world, signed_in, live_server, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    generic_tickets, email_tickets = _send_corpus()
    assert len(generic_tickets) == len(PAYLOADS) and len(email_tickets) == len(PAYLOADS)
    problems: list[str] = []

    operator = signed_in(world.users["admin"])
    _check(operator, f"{live_server.url}/?view=all", problems)
    shot(operator, "xss-queue")
    queue_text = operator.inner_text("body")
    for payload in PAYLOADS[:5]:
        assert payload in queue_text, payload

    for ticket in (generic_tickets[1], email_tickets[1], generic_tickets[7], email_tickets[11]):
        _check(operator, f"{live_server.url}/tickets/{ticket.pk}/", problems)
    shot(operator, "xss-ticket")
    for ticket in generic_tickets:
        _check(operator, f"{live_server.url}/tickets/{ticket.pk}/", problems)
        text = operator.inner_text("body")
        payload = PAYLOADS[generic_tickets.index(ticket)]
        # The message, the customer's name on the card: shown as text, verbatim.
        assert text.count(payload.strip()) >= 2, (payload, ticket.pk)
    for ticket in email_tickets:
        _check(operator, f"{live_server.url}/tickets/{ticket.pk}/", problems)
        payload = PAYLOADS[email_tickets.index(ticket)]
        assert payload.strip() in operator.inner_text("body"), payload
    for page_key in ("sla", "operations", "quality", "roi", "staffing"):
        _check(operator, f"{live_server.url}/dashboards/{page_key}/?period=7d", problems)
    assert not problems, "\n".join(problems)
