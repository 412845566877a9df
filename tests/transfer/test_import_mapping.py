"""Every field of a line lands where the live services would have put it."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from helpdesk.roles import user_role
from metrics.models import SurveyResponse, TicketFact
from tests.factories.tickets import ChannelFactory, CustomerFactory, UserFactory
from tests.transfer.conftest import T0, at, jsonl, ticket_line
from tickets.models import Channel, Customer, Message, Tag, Team, Ticket, TicketEvent, WorkSession
from tickets.transfer.importer import import_lines

pytestmark = pytest.mark.django_db


def test_every_field_is_mapped():
    summary = import_lines(jsonl(ticket_line()))
    assert summary.created == 1 and summary.rejected_total == 0
    t = Ticket.objects.get(external_id="T-1")
    assert t.subject == "Where is my order?"
    assert (t.priority, t.priority_rank, t.status) == ("high", 1, "solved")
    assert t.channel.kind == "telegram" and t.channel.name == "Imported Telegram"
    assert not t.channel.is_active
    c = t.customer
    assert (c.external_id, c.name, c.email) == ("crm-T-1", "Ann Lee", "ann.t-1@example.org")
    assert sorted(t.tags.values_list("name", flat=True)) == ["late-parcel", "vip"]
    assert t.team.name == "Support"
    ivan = get_user_model().objects.get(username="ivan")
    assert t.assignee == ivan
    assert not ivan.has_usable_password() and user_role(ivan) == "operator"
    assert ivan.agent is not None
    assert t.created_at == T0
    assert t.first_customer_message_at == T0 and t.last_customer_message_at == T0
    assert t.first_response_at == T0 + timedelta(minutes=12)  # not the bot, not the note
    assert t.last_agent_message_at == T0 + timedelta(minutes=12)
    assert t.solved_at == T0 + timedelta(hours=1) and t.closed_at is None
    assert (t.agent_reply_count, t.reopen_count) == (1, 0)
    assert t.last_message_preview == "It ships today."
    msgs = list(t.messages.order_by("sent_at"))
    assert [(m.direction, m.author_kind, m.is_internal) for m in msgs] == [
        ("in", "customer", False),
        ("out", "bot", False),
        ("out", "agent", True),
        ("out", "agent", False),
    ]
    assert [m.delivery_status for m in msgs] == ["received", "sent", "not_sent", "sent"]
    assert msgs[3].author == ivan and msgs[3].text == "It ships today."
    assert msgs[1].sent_at == msgs[1].created_at == T0 + timedelta(seconds=5)
    session = WorkSession.objects.get(ticket=t)
    assert (session.agent, session.seconds, session.ended_at) == (ivan, 300, t.solved_at)
    response = SurveyResponse.objects.get(ticket=t)
    assert (response.kind, response.score, response.created_at) == ("csat", 5, t.solved_at)
    assert response.customer_id == c.pk and response.agent == ivan
    fact = TicketFact.objects.get(ticket=t)
    assert fact.first_solved_at == t.solved_at and fact.resolution_seconds == 3600
    assert fact.frt_business_seconds == 12 * 60
    assert TicketEvent.objects.get(ticket=t).kind == "imported"
    assert summary.agents_created == ["ivan"]
    assert summary.teams_created == ["Support"]
    assert sorted(summary.tags_created) == ["late-parcel", "vip"]
    assert summary.channels_created == ["telegram:Imported Telegram"]


def test_channel_mapping_rules():
    named = ChannelFactory(kind="email", name="Support mailbox")
    bot = ChannelFactory(kind="telegram", name="Shop bot")
    lines = jsonl(
        ticket_line("A", channel="support MAILBOX"),  # a name, any case
        ticket_line("B", channel="telegram"),  # a kind: the first channel of it
        ticket_line("C", channel="whatsapp:Sales line"),  # kind:name, created
        ticket_line("D", channel="whatsapp:sales line"),  # ... and found again
        ticket_line("E", channel="whatsapp"),  # the kind now has a channel
        ticket_line("F", channel="fax"),
    )
    summary = import_lines(lines)
    channel = dict(Ticket.objects.values_list("external_id", "channel_id"))
    assert channel["A"] == named.pk and channel["B"] == bot.pk
    sales = Channel.objects.get(name="Sales line")
    assert sales.kind == "whatsapp" and channel["C"] == channel["D"] == channel["E"] == sales.pk
    assert summary.rejected == [(6, "unknown channel 'fax' (a kind, a name or kind:name)")]


def test_existing_agents_tags_teams_and_customers_are_reused():
    ivan = UserFactory(username="ivan", role="manager")
    Team.objects.create(name="Support")
    Tag.objects.create(name="vip")
    known = CustomerFactory(email="ann.t-1@example.org", external_id="")
    summary = import_lines(jsonl(ticket_line()))
    t = Ticket.objects.get()
    assert t.assignee == ivan and user_role(ivan) == "manager"
    assert t.customer == known  # matched by email; its CRM id filled in? no: kept as it was
    assert summary.agents_created == [] and summary.teams_created == []
    assert summary.tags_created == ["late-parcel"] and summary.customers_created == 0


def test_customer_matching_by_external_id_then_email_then_phone():
    by_ext = CustomerFactory(external_id="crm-9", email="x@example.org")
    by_phone = CustomerFactory(email="", phone="+7 900 1")
    other_crm = CustomerFactory(external_id="crm-other", email="shared@example.org")
    lines = jsonl(
        ticket_line("A", customer={"external_id": "crm-9", "email": "new@example.org"}),
        ticket_line("B", customer={"phone": "+7 900 1"}),
        # the email belongs to a customer with another CRM id: another person
        ticket_line("C", customer={"external_id": "crm-3", "email": "shared@example.org"}),
        # two lines of one new customer in one batch: one customer
        ticket_line("D", customer={"email": "pair@example.org"}),
        ticket_line("E", customer={"email": "PAIR@example.org", "name": "Pair"}),
    )
    import_lines(lines)
    customer = dict(Ticket.objects.values_list("external_id", "customer_id"))
    assert customer["A"] == by_ext.pk and customer["B"] == by_phone.pk
    assert customer["C"] != other_crm.pk
    assert Customer.objects.get(pk=customer["C"]).external_id == "crm-3"
    assert customer["D"] == customer["E"]
    assert Customer.objects.filter(email="pair@example.org").count() == 1


def test_closed_reopened_and_naive_timestamps():
    line = ticket_line(
        status="closed",
        reopened=2,
        created_at="2026-03-02T09:00:00",  # no offset: UTC
        solved_at="2026-03-02T12:30:00+03:00",
        csat=None,
        handle_seconds=None,
    )
    import_lines(jsonl(line))
    t = Ticket.objects.get()
    assert t.created_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert t.solved_at == t.closed_at == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    assert t.reopen_count == 2
    assert not WorkSession.objects.exists() and not SurveyResponse.objects.exists()


def test_open_ticket_without_reply_has_no_response_facts():
    line = ticket_line(
        status="open",
        solved_at=None,
        csat=None,
        messages=[{"direction": "in", "author": "customer", "sent_at": at(), "text": "hi"}],
    )
    import_lines(jsonl(line))
    t = Ticket.objects.get()
    assert t.first_response_at is None and t.agent_reply_count == 0 and t.solved_at is None
    assert not TicketFact.objects.exists()
    assert Message.objects.get().text == "hi"


def test_command_prints_progress_and_summary(write_file, capsys):
    path = write_file(jsonl(ticket_line("A"), "{broken", ticket_line("B")))
    call_command("import_tickets", str(path))
    out, err = capsys.readouterr()
    assert "100%" in err and "3/3 lines" in err
    assert "created: 2 tickets, 8 messages, 2 customers" in out
    assert "line 2: invalid JSON" in out
    assert "rejected: 1" in out
