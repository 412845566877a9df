"""The workspace's newer parts: filters, SLA, bulk actions, ticket actions, canned responses,
collision warning, customer card, work sessions and preferences."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from sla.models import SlaClock
from tests.factories.tickets import (
    CustomerFactory,
    CustomerIdentityFactory,
    MessageFactory,
    TagFactory,
    TeamFactory,
    TicketFactory,
    UserFactory,
)
from tickets.models import (
    AgentProfile,
    CannedResponse,
    Customer,
    Message,
    Status,
    Ticket,
    WorkSession,
)

pytestmark = pytest.mark.django_db


def _ids(response):
    return [t.pk for t in response.context["tickets"]]


def _clock(ticket, *, due_in: int, status="running"):
    from sla.services import sla_ticket_due_sync

    now = timezone.now()
    clock = SlaClock.objects.create(
        ticket=ticket,
        metric="first_response",
        status=status,
        target_seconds=3600,
        started_at=now - timedelta(hours=1),
        due_at=now + timedelta(seconds=due_in),
        warn_at=now + timedelta(seconds=due_in - 600),
    )
    sla_ticket_due_sync(ticket_id=ticket.pk)  # what sla's services do after moving a clock
    return clock


# --- queue -------------------------------------------------------------------------------


def test_queue_filters_team_tag_and_created_range(operator_client):
    team = TeamFactory(name="Billing")
    tag = TagFactory(name="refund")
    now = timezone.now()
    in_team = TicketFactory(team=team, created_at=now - timedelta(days=1))
    tagged = TicketFactory(created_at=now - timedelta(days=10))
    tagged.tags.add(tag)
    assert _ids(operator_client.get(f"/?team={team.pk}")) == [in_team.pk]
    assert _ids(operator_client.get(f"/?tag={tag.pk}")) == [tagged.pk]
    since = (now - timedelta(days=3)).date().isoformat()
    assert _ids(operator_client.get(f"/?created_from={since}")) == [in_team.pk]
    until = (now - timedelta(days=5)).date().isoformat()
    assert _ids(operator_client.get(f"/?created_to={until}")) == [tagged.pk]


def test_queue_sla_filter_overdue_view_badges_and_sort(operator_client):
    overdue = TicketFactory(priority="normal", priority_rank=2)
    soon = TicketFactory(priority="normal", priority_rank=2)
    later = TicketFactory(priority="normal", priority_rank=2)
    no_sla = TicketFactory(priority="normal", priority_rank=2)
    urgent = TicketFactory(priority="urgent", priority_rank=0)
    _clock(overdue, due_in=-300)
    _clock(soon, due_in=300)
    _clock(later, due_in=7200)
    response = operator_client.get("/")
    # Priority first, then the nearest SLA deadline, tickets without a clock last.
    assert _ids(response) == [urgent.pk, overdue.pk, soon.pk, later.pk, no_sla.pk]
    html = response.content.decode()
    assert "sla-breached" in html and "−5 min" in html
    assert "sla-warning" in html and "sla-running" in html
    assert response.context["sla_badges"][later.pk]["css"] == "sla-running"
    assert _ids(operator_client.get("/?sla=overdue")) == [overdue.pk]
    assert _ids(operator_client.get("/?sla=at_risk")) == [soon.pk]
    overdue_view = operator_client.get("/?view=overdue")
    assert _ids(overdue_view) == [overdue.pk]
    nav = {v["key"]: v["count"] for v in overdue_view.context["views_nav"]}
    assert nav["overdue"] == 1


def test_bulk_assign_tag_status_and_merge(operator_client, operator):
    a, b, c = (TicketFactory(created_at=timezone.now() - timedelta(hours=h)) for h in (3, 2, 1))
    for t in (a, b, c):
        MessageFactory(ticket=t)
    tag = TagFactory(name="bulk")
    post = operator_client.post

    r = post("/queue/bulk/", {"tickets": [a.pk, b.pk], "action": "assign", "value": "me"})
    assert r.status_code == 302
    assert set(Ticket.objects.filter(assignee=operator).values_list("pk", flat=True)) == {
        a.pk,
        b.pk,
    }
    post("/queue/bulk/", {"tickets": [b.pk, c.pk], "action": "tag", "value": str(tag.pk)})
    assert set(tag.tickets.values_list("pk", flat=True)) == {b.pk, c.pk}
    post("/queue/bulk/", {"tickets": [c.pk], "action": "status", "value": "pending"})
    assert Ticket.objects.get(pk=c.pk).status == "pending"
    post("/queue/bulk/", {"tickets": [a.pk, b.pk, c.pk], "action": "merge", "next": "/?view=all"})
    assert Ticket.objects.get(pk=a.pk).messages.count() == 3
    assert set(Ticket.objects.filter(merged_into=a).values_list("pk", flat=True)) == {b.pk, c.pk}


def test_bulk_bad_input_is_a_message_not_a_crash(operator_client):
    t = TicketFactory()
    r = operator_client.post("/queue/bulk/", {"action": "status", "value": "x"}, follow=True)
    assert "Select at least one ticket." in r.content.decode()
    r = operator_client.post(
        "/queue/bulk/", {"tickets": [t.pk], "action": "status", "value": "bogus"}, follow=True
    )
    assert "Choose what to apply" in r.content.decode()
    r = operator_client.post("/queue/bulk/", {"tickets": [t.pk], "action": "merge"}, follow=True)
    assert Ticket.objects.get(pk=t.pk).status == "new"
    r = operator_client.post(
        "/queue/bulk/", {"tickets": [t.pk], "action": "assign", "next": "https://evil.example/"}
    )
    assert r.url == "/"


# --- ticket actions ------------------------------------------------------------------------


def test_set_tags_and_team(operator_client):
    ticket = TicketFactory()
    ticket.tags.add(TagFactory(name="old"))
    TagFactory(name="vip")
    TagFactory(name="billing")
    team = TeamFactory(name="Support L2")
    operator_client.post(f"/tickets/{ticket.pk}/tags/", {"tags": "vip, billing, nosuch"})
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["billing", "vip"]
    operator_client.post(f"/tickets/{ticket.pk}/team/", {"team": team.pk})
    assert Ticket.objects.get(pk=ticket.pk).team == team
    operator_client.post(f"/tickets/{ticket.pk}/team/", {"team": ""})
    assert Ticket.objects.get(pk=ticket.pk).team is None


def test_merge_and_split_from_the_ticket_page(operator_client):
    target = TicketFactory()
    source = TicketFactory(customer=target.customer)
    MessageFactory(ticket=source, text="one")
    second = MessageFactory(ticket=source, text="two")
    r = operator_client.post(f"/tickets/{source.pk}/messages/{second.pk}/split/")
    new = Ticket.objects.get(messages=second)
    assert r.url == f"/tickets/{new.pk}/"
    r = operator_client.post(f"/tickets/{source.pk}/merge/", {"target": target.pk})
    assert r.url == f"/tickets/{target.pk}/"
    assert Ticket.objects.get(pk=source.pk).merged_into_id == target.pk
    page = operator_client.get(f"/tickets/{source.pk}/").content.decode()
    assert "This ticket was merged into" in page
    r = operator_client.post(f"/tickets/{target.pk}/merge/", {"target": 999999}, follow=True)
    assert "There is no ticket with that number." in r.content.decode()


def test_reply_warns_when_someone_replied_meanwhile(operator_client, operator):
    ticket = TicketFactory(status="open")
    seen = MessageFactory(ticket=ticket, text="Hi")
    anna = UserFactory(first_name="Anna", last_name="K", role="operator")
    MessageFactory(
        ticket=ticket, direction="out", author_kind="agent", author=anna, text="Anna answered",
        delivery_status="sent", external_id=None,
    )  # fmt: skip
    data = {"mode": "reply", "text": "My answer", "last_seen": seen.pk}
    r = operator_client.post(f"/tickets/{ticket.pk}/reply/", data)
    assert r.status_code == 409
    html = r.content.decode()
    assert "Anna K wrote meanwhile" in html and 'name="confirm"' in html
    assert not Message.objects.filter(text="My answer").exists()
    # Confirmed, or sent again from the refreshed page: it goes out.
    r = operator_client.post(f"/tickets/{ticket.pk}/reply/", {**data, "confirm": "1"})
    assert r.status_code == 302
    assert Message.objects.filter(text="My answer").exists()
    # Internal notes are never held back; my own replies do not count as someone else's.
    last = Message.objects.filter(text="My answer").get().pk
    r = operator_client.post(
        f"/tickets/{ticket.pk}/reply/", {"mode": "reply", "text": "again", "last_seen": seen.pk}
    )
    assert r.status_code == 409
    r = operator_client.post(
        f"/tickets/{ticket.pk}/reply/", {"mode": "reply", "text": "again", "last_seen": last}
    )
    assert r.status_code == 302


# --- canned responses ------------------------------------------------------------------------


def test_canned_search_visibility_and_use(operator_client, operator):
    team = TeamFactory(name="Mine")
    AgentProfile.objects.get_or_create(user=operator)[0].teams.add(team)
    other = UserFactory(role="operator")
    CannedResponse.objects.create(title="Greeting", shortcut="hi", body="Hi {{customer_name}}")
    CannedResponse.objects.create(title="Team one", shortcut="team", body="x", team=team)
    CannedResponse.objects.create(
        title="Other team", shortcut="other", body="x", team=TeamFactory(name="Other")
    )
    CannedResponse.objects.create(title="Mine", shortcut="mine", body="y", owner=operator)
    CannedResponse.objects.create(title="Theirs", shortcut="theirs", body="z", owner=other)
    customer = CustomerFactory(name="<b>Ирина</b>")
    ticket = TicketFactory(customer=customer)

    found = operator_client.get(f"/tickets/{ticket.pk}/canned/").json()["results"]
    assert sorted(r["shortcut"] for r in found) == ["hi", "mine", "team"]
    found = operator_client.get(f"/tickets/{ticket.pk}/canned/?q=/h").json()["results"]
    assert [r["shortcut"] for r in found] == ["hi"]
    found = operator_client.get(f"/tickets/{ticket.pk}/canned/?q=greet").json()["results"]
    assert [r["shortcut"] for r in found] == ["hi"]

    hi = CannedResponse.objects.get(shortcut="hi")
    r = operator_client.post(f"/tickets/{ticket.pk}/canned/{hi.pk}/use/")
    assert json.loads(r.content) == {"text": "Hi <b>Ирина</b>"}  # plain text, escaped on display
    theirs = CannedResponse.objects.get(shortcut="theirs")
    assert operator_client.post(f"/tickets/{ticket.pk}/canned/{theirs.pk}/use/").status_code == 404
    hi.refresh_from_db()
    assert hi.usage_count == 1


# --- customer card ---------------------------------------------------------------------------


def test_customer_notes_and_link(operator_client):
    ticket = TicketFactory()
    other = CustomerFactory(name="Same person")
    CustomerIdentityFactory(customer=other, external_id="wa-1", username="sameperson")
    other_ticket = TicketFactory(customer=other)
    operator_client.post(f"/tickets/{ticket.pk}/customer/notes/", {"notes": "<i>VIP</i>"})
    assert Customer.objects.get(pk=ticket.customer_id).notes == "<i>VIP</i>"
    r = operator_client.post(f"/tickets/{ticket.pk}/customer/link/", {"other": other_ticket.pk})
    assert r.status_code == 302
    assert Customer.objects.get(pk=other.pk).merged_into_id == ticket.customer_id
    html = operator_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "@sameperson" in html
    assert "&lt;i&gt;VIP&lt;/i&gt;" in html
    assert "CSAT —" in html


@pytest.mark.parametrize("n", [2, 25])
def test_customer_card_query_count_with_many_previous_tickets(
    operator_client, django_assert_max_num_queries, n
):
    ticket = TicketFactory()
    MessageFactory(ticket=ticket)
    for i in range(n):
        TicketFactory(
            customer=ticket.customer,
            status=Status.SOLVED if i % 2 else Status.CLOSED,
            solved_at=timezone.now(),
        )
        CustomerIdentityFactory(customer=ticket.customer)
    operator_client.get("/")
    # 18: one of them reads the team-restriction switch (tickets.visibility).
    with django_assert_max_num_queries(18):
        response = operator_client.get(f"/tickets/{ticket.pk}/")
    assert len(response.context["previous_tickets"]) == min(n, 10)
    assert response.context["customer_ticket_count"] == n + 1


# --- work sessions and preferences -----------------------------------------------------------


def test_work_session_beacon(operator_client, operator):
    ticket = TicketFactory()
    now_ms = int(timezone.now().timestamp() * 1000)
    data = {"ticket": ticket.pk, "sid": "abc", "start": now_ms - 90_000, "end": now_ms}
    r = operator_client.post("/work-sessions/", {**data, "reason": "reply"})
    assert r.status_code == 204
    session = WorkSession.objects.get()
    assert session.agent == operator and session.ticket == ticket
    assert session.seconds == 90 and session.end_reason == "reply"
    assert operator_client.post("/work-sessions/", {**data, "end": "x"}).status_code == 400
    assert operator_client.post("/work-sessions/", {**data, "ticket": 99999}).status_code == 404


def test_preferences_language_and_time_zone(operator_client):
    ticket = TicketFactory()
    MessageFactory(ticket=ticket, sent_at=datetime(2025, 1, 1, 12, 0, tzinfo=UTC))
    r = operator_client.post("/preferences/", {"language": "ru", "timezone": "Asia/Tokyo"})
    assert r.status_code == 302
    html = operator_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert '<html lang="ru">' in html
    assert "2025-01-01T21:00:00+09:00" in html  # shown in the operator's zone
    r = operator_client.post("/preferences/", {"language": "en", "timezone": "Mars/Base"})
    # Refused, and the page (still in the saved language, Russian) says why.
    assert r.status_code == 200 and "timezone" in r.context["form"].errors
    operator_client.post("/preferences/language/", {"language": "en", "next": "/"})
    assert '<html lang="en">' in operator_client.get("/").content.decode()
