"""An operator logs in, finds a ticket in the queue, answers it and sees the delivery."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories.tickets import (
    ChannelFactory,
    CustomerFactory,
    CustomerIdentityFactory,
    MessageFactory,
    TagFactory,
    TicketFactory,
    UserFactory,
)
from tickets import senders
from tickets.models import CannedResponse

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "s3cret-pass-word"


@pytest.fixture
def seeded(db):
    operator = UserFactory(username="olga", first_name="Olga", last_name="Petrova", role="operator")
    UserFactory(username="petr", first_name="Petr", last_name="Ivanov", role="operator")
    telegram = ChannelFactory(kind="telegram", name="Support bot")
    email = ChannelFactory(kind="email", name="support@example.com")
    generic = ChannelFactory(kind="generic", name="Bridge")
    now = timezone.now()
    customer = CustomerFactory(name="Ирина Смирнова", email="irina@example.org", phone="+7 900")
    CustomerIdentityFactory(
        customer=customer, channel=telegram, external_id="5551234", username="irina"
    )
    ticket = TicketFactory(
        customer=customer,
        channel=telegram,
        subject="Где мой заказ 1042?",
        priority="high",
        priority_rank=1,
        status="open",
        created_at=now - timedelta(hours=3),
        last_customer_message_at=now - timedelta(minutes=42),
        last_message_preview="Трек-номер не обновляется уже неделю <b>!</b>",
    )
    ticket.tags.add(TagFactory(name="delivery", color="#0d6efd"), TagFactory(name="vip"))
    MessageFactory(
        ticket=ticket,
        channel=telegram,
        text="Здравствуйте! Где мой заказ 1042?\nТрек-номер не обновляется уже неделю <b>!</b>",
        sent_at=now - timedelta(hours=3),
        created_at=now - timedelta(hours=3),
    )
    TicketFactory(
        customer=customer,
        channel=telegram,
        subject="Old question about returns",
        status="closed",
        created_at=now - timedelta(days=30),
    )
    for i, (channel, prio, status) in enumerate(
        [
            (email, "urgent", "new"),
            (generic, "normal", "new"),
            (email, "low", "pending"),
            (telegram, "normal", "open"),
        ]
    ):
        TicketFactory(
            channel=channel,
            priority=prio,
            priority_rank={"urgent": 0, "high": 1, "normal": 2, "low": 3}[prio],
            status=status,
            assignee=operator if i == 3 else None,
            created_at=now - timedelta(hours=i + 1, minutes=7),
            last_customer_message_at=now - timedelta(minutes=10 * (i + 1)),
            last_message_preview="Please help, the invoice is wrong",
        )
    CannedResponse.objects.create(
        title="Greeting",
        shortcut="greet",
        body="Здравствуйте, {{customer_name}}! Обращение #{{ticket_number}}, {{agent_name}}.",
    )
    evil = CustomerFactory(
        name='<script>window.pwned=1</script><img src=x onerror="window.pwned=2">'
    )
    evil_ticket = TicketFactory(
        customer=evil,
        channel=generic,
        subject="<b>bold?</b>",
        last_message_preview="<i>x</i>",
        created_at=now - timedelta(days=2),
    )
    MessageFactory(ticket=evil_ticket, channel=generic, text='<img src=x onerror="window.pwned=3">')
    return {"operator": operator, "ticket": ticket, "evil": evil_ticket}


@pytest.fixture
def fake_telegram_sender(monkeypatch):
    sent = []

    def send(message):
        sent.append(message.text)
        return f"tg-{message.pk}"

    monkeypatch.setitem(senders._senders, "telegram", send)
    return sent


def _login(page, live_server, username="olga", password=PASSWORD):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")


def test_wrong_password_shows_error(page, live_server, seeded, screenshot):
    _login(page, live_server, password="nope")
    error = page.locator("#login-error")
    error.wait_for()
    assert "correct username and password" in error.inner_text()
    screenshot("01-login-error")


def test_operator_answers_a_ticket(page, live_server, seeded, screenshot, fake_telegram_sender):
    ticket = seeded["ticket"]
    _login(page, live_server)
    page.wait_for_url(f"{live_server.url}/")
    row = page.locator(f'.queue-row[data-ticket-id="{ticket.pk}"]')
    row.wait_for()
    assert "Ирина Смирнова" in row.inner_text()
    assert page.locator("#queue-views .views-nav-item.active").inner_text().startswith("All open")
    screenshot("02-queue")

    # Keyboard: j focuses the first row (urgent one), j again the high-priority ticket.
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.dataset.ticketId") == str(ticket.pk)

    # Filter by tag: only the ticket about the delivery stays; then open it from the keyboard.
    page.select_option("#f-tag", label="delivery")
    page.wait_for_url("**tag=*")
    assert page.locator(".queue-row").count() == 1
    screenshot("02b-queue-filtered")
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/tickets/{ticket.pk}/")

    conversation = page.locator("#conversation")
    assert "Трек-номер не обновляется уже неделю <b>!</b>" in conversation.inner_text()
    assert page.locator("#conversation b").count() == 0  # customer HTML stays text
    assert "@irina" in page.locator(".customer-card").inner_text()
    assert "Old question about returns" in page.locator(".customer-card").inner_text()
    screenshot("03-ticket")

    # Reply with a canned response: "r" focuses the reply box, "/greet" finds it, Enter inserts.
    page.keyboard.press("r")
    page.keyboard.type("/gre")
    page.locator("#canned-list .canned-item", has_text="Greeting").wait_for()
    screenshot("03b-canned")
    page.keyboard.press("Enter")
    expected = f"Здравствуйте, Ирина Смирнова! Обращение #{ticket.pk}, Olga Petrova."
    page.wait_for_function("t => document.getElementById('reply-text').value === t", arg=expected)
    page.keyboard.press("Control+Enter")
    page.wait_for_url(f"{live_server.url}/tickets/{ticket.pk}/")
    reply = page.locator(".msg-right", has_text="Обращение")
    reply.wait_for()
    page.wait_for_load_state()  # the keyboard handlers run once the scripts have loaded
    status = reply.locator("[data-delivery]")
    assert status.get_attribute("data-delivery") == "sent"
    assert fake_telegram_sender == [expected]
    screenshot("04-replied")

    # An internal note ("n") lands on the yellow band and is not sent.
    page.keyboard.press("n")
    page.keyboard.type("Checked with the courier service.")
    page.click("#reply-form button[type=submit]")
    page.locator(".msg-note", has_text="Checked with the courier service.").wait_for()
    page.wait_for_load_state()
    assert len(fake_telegram_sender) == 1

    # "s" solves the ticket.
    page.keyboard.press("s")
    page.locator("#t-status option[value=solved][selected]").wait_for(state="attached")
    ticket.refresh_from_db()
    assert ticket.status == "solved"
    page.click("button[data-bs-target='#ticket-events']")
    page.locator("#ticket-events.show").wait_for()
    screenshot("05-note-history")

    # "?" shows the keyboard help.
    page.locator("body").press("?")
    page.locator("#help-overlay[open]").wait_for()
    screenshot("05b-help")
    page.keyboard.press("Escape")
    assert page.js_errors == []


def test_customer_html_is_text_everywhere(page, live_server, seeded, screenshot):
    evil = seeded["evil"]
    _login(page, live_server)
    page.wait_for_url(f"{live_server.url}/")
    row = page.locator(f'.queue-row[data-ticket-id="{evil.pk}"]')
    row.wait_for()
    assert "<script>window.pwned=1</script>" in row.inner_text()
    assert "<b>bold?</b>" in row.inner_text()
    page.goto(f"{live_server.url}/tickets/{evil.pk}/")
    assert '<img src=x onerror="window.pwned=3">' in page.locator("#conversation").inner_text()
    assert "<script>" in page.locator(".customer-card").inner_text()
    assert page.locator("#conversation img, .customer-card img, .customer-card script").count() == 0
    page.wait_for_timeout(200)
    assert page.evaluate("window.pwned") is None
    screenshot("08-html-as-text")


def test_language_switch(page, live_server, seeded, screenshot):
    _login(page, live_server)
    page.wait_for_url(f"{live_server.url}/")
    page.click("button[name=language][value=ru]")
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.lang") == "ru"
    screenshot("06-queue-ru")


def test_live_events_refresh_queue_and_conversation(page, live_server, seeded, screenshot):
    """The websocket is not served by the WSGI live server: feed events to live.js directly."""
    ticket = seeded["ticket"]
    _login(page, live_server)
    page.wait_for_url(f"{live_server.url}/")
    page.keyboard.press("j")
    focused = page.evaluate("document.activeElement.dataset.ticketId")

    newcomer = TicketFactory(subject="Brand new question", priority="urgent", priority_rank=0)
    page.evaluate("id => helpdeskLive.handle({type: 'ticket.created', ticket_id: id})", newcomer.pk)
    page.locator(f'.queue-row[data-ticket-id="{newcomer.pk}"]').wait_for()
    assert page.locator('#queue-views [data-view="open"] [data-count]').inner_text() == "7"
    # The row in focus keeps the focus after the list is replaced.
    assert page.evaluate("document.activeElement.dataset.ticketId") == focused

    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    MessageFactory(ticket=ticket, text="Ещё вопрос: можно забрать самовывозом?")
    page.evaluate("id => helpdeskLive.handle({type: 'message.created', ticket_id: id})", ticket.pk)
    page.locator("#conversation", has_text="можно забрать самовывозом").wait_for()
    # Events for other tickets do not touch this conversation.
    assert page.locator("#reply-form").count() == 1
    screenshot("07-live-refresh")


def test_sla_alerts_show_as_toasts_linking_to_the_ticket(page, live_server, seeded, screenshot):
    ticket = seeded["ticket"]
    _login(page, live_server)
    page.wait_for_url(f"{live_server.url}/")
    page.evaluate(
        """id => helpdeskLive.handle({type: 'sla.breached',
            items: [{ticket_id: id, metric: 'first_response'}, {ticket_id: id}]})""",
        ticket.pk,
    )
    toast = page.locator("#toasts .toast-item")
    toast.wait_for()
    assert toast.count() == 1  # one per ticket
    assert toast.inner_text() == f"SLA breached on ticket #{ticket.pk}"
    assert toast.get_attribute("href") == f"/tickets/{ticket.pk}/"
    screenshot("08-sla-toast")


def test_rule_notifications_show_as_text_toasts(page, live_server, seeded):
    ticket = seeded["ticket"]
    _login(page, live_server)
    page.wait_for_url(f"{live_server.url}/")
    page.evaluate(
        "id => helpdeskLive.handle({type: 'notification', ticket_id: id, text: 'VIP <b>x</b>'})",
        ticket.pk,
    )
    toast = page.locator("#toasts .toast-item")
    toast.wait_for()
    assert toast.inner_text() == "VIP <b>x</b>"  # shown as text, never as markup
    assert toast.get_attribute("href") == f"/tickets/{ticket.pk}/"
