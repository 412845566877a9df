"""The demo seeder: counts, reference data, and the ticket invariants the services keep."""

import io
import re
from collections import defaultdict

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from tickets.demo import seed_demo
from tickets.demo.progress import ProgressBar
from tickets.models import (
    PRIORITY_RANK,
    AgentProfile,
    CannedResponse,
    Channel,
    Customer,
    CustomerIdentity,
    Message,
    Tag,
    Team,
    Ticket,
    TicketEvent,
)
from tickets.sanitize import preview

CYRILLIC = re.compile("[а-яА-ЯёЁ]")
LATIN_WORD = re.compile(r"\b(the|order|my|thanks)\b", re.IGNORECASE)


def assert_invariants():
    messages = defaultdict(list)
    for m in Message.objects.order_by("sent_at", "id"):
        messages[m.ticket_id].append(m)
    events = defaultdict(list)
    for e in TicketEvent.objects.order_by("created_at", "id"):
        events[e.ticket_id].append(e)
    agents_by_team = defaultdict(set)
    for profile in AgentProfile.objects.prefetch_related("teams"):
        for team in profile.teams.all():
            agents_by_team[team.pk].add(profile.user_id)

    for t in Ticket.objects.all():
        msgs = messages[t.pk]
        assert 1 <= len(msgs) <= 6, t.pk
        inbound = [m for m in msgs if m.direction == "in"]
        public_agent = [m for m in msgs if m.author_kind == "agent" and not m.is_internal]
        public = [m for m in msgs if not m.is_internal]
        assert inbound and msgs[0].direction == "in"
        assert t.created_at == inbound[0].sent_at
        assert t.first_customer_message_at == inbound[0].sent_at
        assert t.last_customer_message_at == inbound[-1].sent_at
        assert t.agent_reply_count == len(public_agent)
        if public_agent:
            assert t.first_response_at == public_agent[0].sent_at
            assert t.first_response_at >= t.first_customer_message_at
            assert t.last_agent_message_at == public_agent[-1].sent_at
            assert t.assignee_id == public_agent[0].author_id
        else:
            assert t.first_response_at is None and t.last_agent_message_at is None
        if t.assignee_id:
            assert t.assignee_id in agents_by_team[t.team_id]
        assert t.priority_rank == PRIORITY_RANK[t.priority]
        assert t.last_message_preview == preview(public[-1].text)
        if t.status in ("solved", "closed"):
            assert t.solved_at is not None and t.solved_at >= t.created_at
        else:
            assert t.solved_at is None
        assert (t.status == "closed") == (t.closed_at is not None)
        if t.status == "new":
            assert not public_agent
        for m in msgs:
            if m.direction == "in":
                assert m.delivery_status == "received" and m.external_id
            elif m.is_internal:
                assert m.delivery_status == "not_sent" and m.external_id is None
            else:
                assert m.delivery_status in ("sent", "delivered", "read")
        evs = events[t.pk]
        kinds = [e.kind for e in evs]
        assert kinds[0] == "created"
        assert kinds.count("replied") == len(public_agent)
        assert t.reopen_count == kinds.count("reopened")
        if t.status in ("solved", "closed"):
            solved = [e for e in evs if e.kind == "status_changed" and e.data["to"] == "solved"]
            assert solved and solved[-1].created_at == t.solved_at
        if t.status == "closed":
            assert evs[-1].data == {"from": "solved", "to": "closed"}
        assert t.updated_at >= max(m.sent_at for m in msgs)
        replied_ids = {e.data["message_id"] for e in evs if e.kind == "replied"}
        assert replied_ids == {m.pk for m in public_agent}


@pytest.mark.django_db
def test_seed_demo_creates_consistent_history():
    result = seed_demo(tickets=300, days=30, seed=7, batch=120)

    assert result["tickets"] == 300
    assert Ticket.objects.count() == 300
    assert Message.objects.count() == result["messages"] > 300
    assert Customer.objects.count() == result["customers"] > 100
    assert CustomerIdentity.objects.count() == result["identities"] >= result["customers"]
    assert set(Team.objects.values_list("name", flat=True)) >= {"Support", "Billing", "Returns"}
    assert Tag.objects.filter(name="repeat customer").exists()
    assert Ticket.tags.through.objects.count() == result["ticket_tags"] >= 300
    assert AgentProfile.objects.count() >= 5
    assert get_user_model().objects.filter(groups__name="manager").exists()
    assert CannedResponse.objects.count() >= 4
    assert Channel.objects.filter(kind="generic").count() == 4
    statuses = set(Ticket.objects.values_list("status", flat=True))
    assert {"solved", "closed"} <= statuses and statuses & {"new", "open", "pending"}
    assert Ticket.objects.filter(reopen_count__gt=0).exists()
    assert Message.objects.filter(is_internal=True).exists()
    texts = list(Message.objects.values_list("text", flat=True))
    assert any(CYRILLIC.search(t) for t in texts)
    assert any(LATIN_WORD.search(t) and not CYRILLIC.search(t) for t in texts)
    assert_invariants()


@pytest.mark.django_db
def test_seed_twice_adds_more_and_reuses_reference_data():
    seed_demo(tickets=300, days=20, seed=1, batch=5000)
    agents = AgentProfile.objects.count()
    seed_demo(tickets=300, days=20, seed=1, batch=100)

    assert Ticket.objects.count() == 600
    assert AgentProfile.objects.count() == agents
    assert Channel.objects.count() == 4
    assert Team.objects.count() == 3
    assert_invariants()


@pytest.mark.django_db
def test_same_seed_gives_same_story():
    seed_demo(tickets=50, days=10, seed=3)
    first = list(Ticket.objects.order_by("id").values_list("subject", "priority", "status"))
    Ticket.objects.all().delete()
    seed_demo(tickets=50, days=10, seed=3)
    second = list(Ticket.objects.order_by("id").values_list("subject", "priority", "status"))
    assert [s[:2] for s in first] == [s[:2] for s in second]


@pytest.mark.django_db
def test_command_prints_progress_and_summary():
    out, err = io.StringIO(), io.StringIO()
    call_command("seed_demo", "--tickets", "40", "--days", "5", stdout=out, stderr=err)

    assert Ticket.objects.count() == 40
    assert "Seeded 40 tickets" in out.getvalue()
    assert "100% 40/40 tickets" in err.getvalue()


def test_progress_bar_line():
    bar = ProgressBar(stream=io.StringIO())
    line = bar.line(520_000, 1_000_000, 61.9)
    assert line.startswith("[###############...............]  52% 520000/1000000 tickets 8,401/s")
    assert "ETA 57s" in line
