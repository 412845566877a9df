"""The operator pages: queue, ticket, reply and change forms."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories.tickets import (
    ChannelFactory,
    CustomerIdentityFactory,
    MessageFactory,
    TagFactory,
    TicketFactory,
    UserFactory,
)
from tickets.models import Message, Status, TicketEvent

pytestmark = pytest.mark.django_db


def _tickets(n, **kwargs):
    channel = kwargs.pop("channel", None) or ChannelFactory()
    tag = TagFactory(name="billing")
    tickets = TicketFactory.create_batch(n, channel=channel, **kwargs)
    for ticket in tickets:
        ticket.tags.add(tag)
        MessageFactory(ticket=ticket)
    return tickets


# --- access ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/tickets/1/"])
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_user_without_role_gets_403(db):
    client = Client()
    client.force_login(UserFactory(username="nobody"))
    assert client.get("/").status_code == 403


def test_login_page_shows_error_on_wrong_password(client, operator):
    response = client.post("/login/", {"username": "olga", "password": "wrong"})
    assert response.status_code == 200
    assert 'id="login-error"' in response.content.decode()


def test_login_with_right_password_goes_to_queue(client, operator):
    response = client.post("/login/", {"username": "olga", "password": "s3cret-pass-word"})
    assert response.status_code == 302
    assert response["Location"] == reverse("queue")


# --- queue -----------------------------------------------------------------------------


def test_queue_lists_tickets_from_all_channels(operator_client):
    email = ChannelFactory(kind="email", name="Mailbox")
    telegram = ChannelFactory(kind="telegram", name="Bot")
    a = TicketFactory(channel=email, subject="Refund for order 12")
    b = TicketFactory(channel=telegram, subject="Где мой заказ?")
    response = operator_client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Refund for order 12" in html
    assert "Где мой заказ?" in html
    assert reverse("ticket", args=[a.pk]) in html
    assert reverse("ticket", args=[b.pk]) in html
    assert "Telegram" in html


def test_queue_sorts_by_priority_then_oldest(operator_client):
    now = timezone.now()
    old_normal = TicketFactory(subject="old normal", created_at=now - timedelta(hours=5))
    new_urgent = TicketFactory(subject="new urgent", priority="urgent", priority_rank=0)
    new_normal = TicketFactory(subject="new normal", created_at=now - timedelta(hours=1))
    tickets = list(operator_client.get("/").context["tickets"])
    assert [t.pk for t in tickets] == [new_urgent.pk, old_normal.pk, new_normal.pk]


def test_queue_empty_state(operator_client):
    response = operator_client.get("/")
    assert "No tickets here. Nice." in response.content.decode()


def test_queue_filters(operator_client, operator):
    email = ChannelFactory(kind="email")
    mine = TicketFactory(subject="mine", assignee=operator, status="open")
    high = TicketFactory(subject="high one", priority="high", priority_rank=1, channel=email)
    pending = TicketFactory(subject="waiting on customer", status="pending")
    solved = TicketFactory(subject="done", status="solved")

    def ids(query):
        return {t.pk for t in operator_client.get("/" + query).context["tickets"]}

    assert ids("") == {mine.pk, high.pk, pending.pk}  # "All open" hides solved tickets
    assert ids("?assignee=me") == {mine.pk}
    assert ids("?assignee=none") == {high.pk, pending.pk}
    assert ids("?priority=high") == {high.pk}
    assert ids(f"?channel={email.pk}") == {high.pk}
    assert ids("?status=pending") == {pending.pk}
    assert ids("?status=solved") == {solved.pk}
    assert ids("?q=waiting+on") == {pending.pk}
    assert ids("?view=mine") == {mine.pk}
    assert ids("?view=unassigned") == {high.pk, pending.pk}
    assert ids("?view=high") == {high.pk}
    assert ids("?view=all") == {mine.pk, high.pk, pending.pk, solved.pk}
    # Empty selects mean "any", not an invalid filter.
    assert ids("?status=&priority=&channel=&assignee=&q=") == {mine.pk, high.pk, pending.pk}


def test_queue_view_counts(operator_client, operator):
    TicketFactory(assignee=operator, status="open")
    TicketFactory(priority="urgent", priority_rank=0)
    TicketFactory(status="closed")
    nav = {v["key"]: v["count"] for v in operator_client.get("/").context["views_nav"]}
    # "All tickets" shows no count: counting the whole history on every page would not scale.
    assert nav == {"mine": 1, "unassigned": 1, "overdue": 0, "open": 2, "high": 1, "all": None}


def test_queue_row_shows_waiting_time_only_when_customer_waits(operator_client):
    now = timezone.now()
    waiting = TicketFactory(
        last_customer_message_at=now - timedelta(minutes=30), last_agent_message_at=None
    )
    answered = TicketFactory(
        last_customer_message_at=now - timedelta(minutes=30),
        last_agent_message_at=now - timedelta(minutes=5),
    )
    rows = {t.pk: t for t in operator_client.get("/").context["tickets"]}
    assert rows[waiting.pk].waiting
    assert rows[answered.pk].waiting == ""


def test_queue_paginates(operator_client):
    _tickets(55)
    first = operator_client.get("/")
    assert len(first.context["tickets"]) == 50
    assert "?page=2" in first.content.decode()
    assert len(operator_client.get("/?page=2").context["tickets"]) == 5


def test_queue_tag_colour_cannot_inject_css(operator_client):
    ticket = TicketFactory()
    ticket.tags.add(TagFactory(name="evil", color="red;a:b"))
    html = operator_client.get("/").content.decode()
    assert "red;a:b" not in html


@pytest.mark.parametrize("n", [5, 40])
def test_queue_query_count_does_not_grow(operator_client, django_assert_max_num_queries, n):
    _tickets(n, assignee=UserFactory(role="operator"))
    operator_client.get("/")  # the first page loads the operator's preferences into the session
    # 13: one of them reads the team-restriction switch (tickets.visibility).
    with django_assert_max_num_queries(13):
        response = operator_client.get("/")
    assert len(response.context["tickets"]) == n


# --- ticket page -----------------------------------------------------------------------


def test_ticket_page_escapes_customer_text(operator_client):
    ticket = TicketFactory(subject="<b>subject</b>")
    MessageFactory(ticket=ticket, text="<script>alert(1)</script>\nsecond line")
    html = operator_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>second line" in html
    assert "<b>subject</b>" not in html


def test_ticket_page_shows_conversation_and_customer(operator_client, operator):
    channel = ChannelFactory(kind="telegram", name="Bot")
    identity = CustomerIdentityFactory(channel=channel, external_id="777", username="irina")
    ticket = TicketFactory(customer=identity.customer, channel=channel)
    previous = TicketFactory(customer=identity.customer, channel=channel, subject="Old question")
    MessageFactory(ticket=ticket, text="Hello from the customer")
    MessageFactory(
        ticket=ticket,
        direction="out",
        author_kind="agent",
        author=operator,
        text="Agent answer",
        delivery_status="failed",
        delivery_error="Bot was blocked by the user",
        external_id=None,
    )
    MessageFactory(
        ticket=ticket,
        direction="out",
        author_kind="agent",
        author=operator,
        is_internal=True,
        text="Secret note",
        delivery_status="not_sent",
        external_id=None,
    )
    response = operator_client.get(f"/tickets/{ticket.pk}/")
    html = response.content.decode()
    assert "msg-left" in html and "msg-right" in html and "msg-note" in html
    assert "Internal note" in html
    assert "Bot was blocked by the user" in html
    assert "Retry" in html
    assert "@irina" in html
    assert "Old question" in html
    assert reverse("ticket", args=[previous.pk]) in html


def test_ticket_page_404(operator_client):
    assert operator_client.get("/tickets/999999/").status_code == 404


@pytest.mark.parametrize("n", [3, 30])
def test_ticket_page_query_count_does_not_grow(
    operator_client, operator, django_assert_max_num_queries, n
):
    ticket = TicketFactory(assignee=operator)
    ticket.tags.add(TagFactory(name="vip"))
    CustomerIdentityFactory(customer=ticket.customer, channel=ticket.channel)
    for i in range(n):
        MessageFactory(ticket=ticket)
        MessageFactory(
            ticket=ticket,
            direction="out",
            author_kind="agent",
            author=UserFactory(role="operator"),
            delivery_status="sent",
            external_id=None,
        )
        TicketEvent.objects.create(ticket=ticket, kind="replied", actor=operator, data={"i": i})
    TicketFactory.create_batch(3, customer=ticket.customer)
    operator_client.get("/")  # the first page loads the operator's preferences into the session
    # 18: one of them reads the team-restriction switch (tickets.visibility).
    with django_assert_max_num_queries(18):
        response = operator_client.get(f"/tickets/{ticket.pk}/")
    assert len(response.context["conversation"]) == 2 * n


# --- writes ----------------------------------------------------------------------------


def test_reply_creates_outbound_message(
    operator_client, operator, django_capture_on_commit_callbacks
):
    ticket = TicketFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(
            f"/tickets/{ticket.pk}/reply/", {"mode": "reply", "text": "We are on it."}
        )
    assert response.status_code == 302
    message = Message.objects.get(ticket=ticket, direction="out")
    assert message.text == "We are on it."
    assert message.author == operator
    assert not message.is_internal
    ticket.refresh_from_db()
    assert ticket.assignee == operator  # the service assigns the first replier
    # The generic channel has no callback URL: delivery fails visibly, not silently.
    page = operator_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "We are on it." in page
    assert 'data-delivery="' in page


def test_note_creates_internal_message(
    operator_client, operator, django_capture_on_commit_callbacks
):
    ticket = TicketFactory()
    with django_capture_on_commit_callbacks(execute=True):
        operator_client.post(
            f"/tickets/{ticket.pk}/reply/", {"mode": "note", "text": "Check the invoice"}
        )
    message = Message.objects.get(ticket=ticket)
    assert message.is_internal
    assert message.delivery_status == "not_sent"


def test_empty_reply_is_a_form_error(operator_client):
    ticket = TicketFactory()
    response = operator_client.post(f"/tickets/{ticket.pk}/reply/", {"mode": "reply", "text": " "})
    assert response.status_code == 400
    assert "Write something before sending." in response.content.decode()
    assert not Message.objects.filter(ticket=ticket).exists()


def test_reply_to_closed_ticket_shows_service_error(operator_client):
    ticket = TicketFactory(status=Status.CLOSED)
    response = operator_client.post(
        f"/tickets/{ticket.pk}/reply/", {"mode": "reply", "text": "Hello?"}
    )
    assert response.status_code == 400
    assert "This ticket is closed" in response.content.decode()
    assert "Hello?" in response.content.decode()  # the text is kept


def test_status_change(operator_client, operator):
    ticket = TicketFactory(status="open")
    response = operator_client.post(f"/tickets/{ticket.pk}/status/", {"status": "solved"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "solved"
    assert ticket.events.filter(kind="status_changed", actor=operator).exists()


def test_status_change_error_is_shown(operator_client):
    ticket = TicketFactory(status="closed")
    response = operator_client.post(
        f"/tickets/{ticket.pk}/status/", {"status": "open"}, follow=True
    )
    assert "A closed ticket cannot change status." in response.content.decode()


def test_priority_change(operator_client):
    ticket = TicketFactory()
    operator_client.post(f"/tickets/{ticket.pk}/priority/", {"priority": "urgent"})
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.priority_rank) == ("urgent", 0)


def test_assign_to_me_other_and_nobody(operator_client, operator):
    other = UserFactory(username="petr", role="operator")
    outsider = UserFactory(username="guest")
    ticket = TicketFactory()
    operator_client.post(f"/tickets/{ticket.pk}/assign/", {"assignee": "me"})
    ticket.refresh_from_db()
    assert ticket.assignee == operator
    operator_client.post(f"/tickets/{ticket.pk}/assign/", {"assignee": str(other.pk)})
    ticket.refresh_from_db()
    assert ticket.assignee == other
    operator_client.post(f"/tickets/{ticket.pk}/assign/", {"assignee": str(outsider.pk)})
    ticket.refresh_from_db()
    assert ticket.assignee == other  # users without the operator role cannot be assigned
    operator_client.post(f"/tickets/{ticket.pk}/assign/", {"assignee": ""})
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_retry_failed_message(operator_client, django_capture_on_commit_callbacks):
    ticket = TicketFactory()
    message = MessageFactory(
        ticket=ticket,
        direction="out",
        author_kind="agent",
        delivery_status="failed",
        delivery_error="boom",
        external_id=None,
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = operator_client.post(f"/tickets/{ticket.pk}/messages/{message.pk}/retry/")
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.delivery_status == "queued"
    assert callbacks  # delivery is enqueued on commit
    assert ticket.events.filter(kind="delivery_retried").exists()


def test_writes_need_post_and_role(client, db):
    ticket = TicketFactory()
    client.force_login(UserFactory(username="nobody"))
    assert client.post(f"/tickets/{ticket.pk}/status/", {"status": "solved"}).status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == "new"


def test_top_bar_admin_link_only_for_admins(operator_client, admin_user):
    html = operator_client.get("/").content.decode()
    assert 'href="/admin/"' not in html
    assert 'action="/preferences/language/"' in html
    assert 'action="/logout/"' in html
    client = Client()
    client.force_login(admin_user)
    assert 'href="/admin/"' in client.get("/").content.decode()


def test_language_switch_to_russian(operator_client):
    response = operator_client.post("/i18n/setlang/", {"language": "ru", "next": "/"})
    assert response.status_code == 302
    html = operator_client.get("/").content.decode()
    assert '<html lang="ru">' in html
    assert "Выйти" in html  # Django's own catalogue; ours is generated later
