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
    return {"operator": operator, "ticket": ticket}


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

    # Keyboard: j focuses the first row (urgent one), j again the high-priority ticket, Enter opens.
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.dataset.ticketId") == str(ticket.pk)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/tickets/{ticket.pk}/")

    conversation = page.locator("#conversation")
    assert "Трек-номер не обновляется уже неделю <b>!</b>" in conversation.inner_text()
    assert page.locator("#conversation b").count() == 0  # customer HTML stays text
    assert "@irina" in page.locator(".customer-card").inner_text()
    assert "Old question about returns" in page.locator(".customer-card").inner_text()
    screenshot("03-ticket")

    page.fill("#reply-text", "Добрый день! Заказ 1042 уже у курьера, привезём завтра.")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(f"{live_server.url}/tickets/{ticket.pk}/")
    reply = page.locator(".msg-right", has_text="Заказ 1042 уже у курьера")
    reply.wait_for()
    status = reply.locator("[data-delivery]")
    assert status.get_attribute("data-delivery") == "sent"
    assert fake_telegram_sender == ["Добрый день! Заказ 1042 уже у курьера, привезём завтра."]
    screenshot("04-replied")

    # An internal note lands on the yellow band and is not sent.
    page.click("label.mode-note")
    page.fill("#reply-text", "Checked with the courier service.")
    page.click("#reply-form button[type=submit]")
    page.locator(".msg-note", has_text="Checked with the courier service.").wait_for()
    assert len(fake_telegram_sender) == 1

    # Status change through the select.
    page.select_option("#t-status", "solved")
    page.wait_for_load_state()
    page.locator("#t-status option[value=solved][selected]").wait_for(state="attached")
    ticket.refresh_from_db()
    assert ticket.status == "solved"
    page.click("button[data-bs-target='#ticket-events']")
    page.locator("#ticket-events.show").wait_for()
    screenshot("05-note-history")
    assert page.js_errors == []


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
    assert page.locator('#queue-views [data-view="open"] [data-count]').inner_text() == "6"
    # The row in focus keeps the focus after the list is replaced.
    assert page.evaluate("document.activeElement.dataset.ticketId") == focused

    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    MessageFactory(ticket=ticket, text="Ещё вопрос: можно забрать самовывозом?")
    page.evaluate("id => helpdeskLive.handle({type: 'message.created', ticket_id: id})", ticket.pk)
    page.locator("#conversation", has_text="можно забрать самовывозом").wait_for()
    # Events for other tickets do not touch this conversation.
    assert page.locator("#reply-form").count() == 1
    screenshot("07-live-refresh")
