"""Routing: round-robin fairness, least loaded, capacity, offline agents, sticky, skills,
channel purposes, and parallel intake on PostgreSQL without double assignment."""

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from tests.factories.tickets import (
    AgentProfileFactory,
    ChannelFactory,
    TagFactory,
    TeamFactory,
    TicketFactory,
)
from tests.tickets.automation_helpers import _fresh_rules_cache, say  # noqa: F401
from tickets.automation.models import AgentSkills, ChannelSettings, Rule, TeamRouting
from tickets.models import Ticket, TicketEvent
from tickets.services.routing import agent_set_online_state, ticket_route


@pytest.fixture
def team(db):
    Rule.objects.update(is_active=False)  # routing alone, without the default taxonomy
    return TeamFactory(name="Support")


@pytest.fixture
def channel(team):
    channel = ChannelFactory(kind="telegram", name="Support bot")
    ChannelSettings.objects.create(channel=channel, default_team=team)
    return channel


def agents(team, n, *, capacity=10, state="online"):
    made = []
    for _ in range(n):
        agent = AgentProfileFactory(capacity=capacity, online_state=state)
        agent.teams.add(team)
        made.append(agent)
    return made


@pytest.mark.django_db
@pytest.mark.parametrize(("tickets", "k"), [(10, 3), (7, 7), (25, 4)])
def test_round_robin_spreads_within_one(channel, team, tickets, k):
    TeamRouting.objects.create(team=team, strategy="round_robin", sticky=False)
    pool = agents(team, k)
    for i in range(tickets):
        say(channel, "Здравствуйте", user=f"c{i}")
    counts = Counter(Ticket.objects.values_list("assignee_id", flat=True))
    per_agent = [counts.get(a.user_id, 0) for a in pool]
    assert sum(per_agent) == tickets
    assert max(per_agent) - min(per_agent) <= 1
    event = TicketEvent.objects.filter(kind="assigned").first()
    assert event.actor_label == "routing"


@pytest.mark.django_db
def test_least_loaded_fills_the_emptiest(channel, team):
    TeamRouting.objects.create(team=team, strategy="least_loaded", sticky=False)
    busy, idle = agents(team, 2)
    for _ in range(3):
        TicketFactory(assignee=busy.user, status="open")
    tickets = [say(channel, "hi", user=f"c{i}").ticket for i in range(4)]
    assert [t.assignee_id for t in tickets[:3]] == [idle.user_id] * 3
    assert tickets[3].assignee_id in (busy.user_id, idle.user_id)


@pytest.mark.django_db
def test_capacity_and_the_team_queue(channel, team):
    a, b = agents(team, 2, capacity=1)
    first = say(channel, "1", user="c1").ticket
    second = say(channel, "2", user="c2").ticket
    third = say(channel, "3", user="c3").ticket
    assert {first.assignee_id, second.assignee_id} == {a.user_id, b.user_id}
    assert third.assignee_id is None and third.team == team  # waits in the team queue


@pytest.mark.django_db
def test_offline_agents_get_nothing_and_solved_tickets_free_a_slot(channel, team):
    agents(team, 1, state="offline")
    (online,) = agents(team, 1, capacity=1)
    t1 = say(channel, "1", user="c1").ticket
    t2 = say(channel, "2", user="c2").ticket
    assert (t1.assignee_id, t2.assignee_id) == (online.user_id, None)
    Ticket.objects.filter(pk=t1.pk).update(status="solved")
    t3 = say(channel, "3", user="c3").ticket
    assert t3.assignee_id == online.user_id


@pytest.mark.django_db
def test_going_offline_reroutes_and_coming_online_takes_the_queue(channel, team):
    a, b = agents(team, 2, capacity=2)
    TeamRouting.objects.create(team=team, strategy="round_robin", sticky=False)
    tickets = [say(channel, str(i), user=f"c{i}").ticket for i in range(4)]
    assert Counter(t.assignee_id for t in tickets) == {a.user_id: 2, b.user_id: 2}
    agent_set_online_state(agent=a, state="offline")
    a_tickets = [t for t in tickets if t.assignee_id == a.user_id]
    for t in a_tickets:
        t.refresh_from_db()
        assert t.assignee_id is None  # b is full: back to the team queue
    agent_set_online_state(agent=b, state="offline")
    assert not Ticket.objects.filter(assignee__isnull=False).exists()
    agent_set_online_state(agent=a, state="online")
    assert Ticket.objects.filter(assignee_id=a.user_id).count() == 2  # up to capacity
    c = agents(team, 1, capacity=5, state="offline")[0]
    agent_set_online_state(agent=c, state="online")
    assert Ticket.objects.filter(assignee_id=c.user_id).count() == 2


@pytest.mark.django_db
def test_offline_reroutes_to_a_free_colleague(channel, team):
    a, b = agents(team, 2, capacity=5)
    TeamRouting.objects.create(team=team, strategy="least_loaded", sticky=False)
    ticket = say(channel, "hi").ticket
    holder = a if ticket.assignee_id == a.user_id else b
    other = b if holder is a else a
    agent_set_online_state(agent=holder, state="away")
    ticket.refresh_from_db()
    assert ticket.assignee_id == other.user_id


@pytest.mark.django_db
@pytest.mark.parametrize("sticky", [True, False])
def test_sticky_to_the_previous_agent(channel, team, sticky):
    TeamRouting.objects.create(team=team, strategy="round_robin", sticky=sticky)
    agents(team, 2)
    first = say(channel, "hi", user="returning").ticket
    from tickets.services import ticket_set_status

    ticket_set_status(ticket=first, status="closed")
    again = say(channel, "hi again", user="returning").ticket
    assert again.pk != first.pk
    assert (again.assignee_id == first.assignee_id) is sticky


@pytest.mark.django_db
def test_sticky_skips_an_offline_previous_agent(channel, team):
    a, b = agents(team, 2)
    first = say(channel, "hi", user="returning").ticket
    holder = a if first.assignee_id == a.user_id else b
    from tickets.services import ticket_set_status

    ticket_set_status(ticket=first, status="closed")
    holder.online_state = "offline"
    holder.save()
    again = say(channel, "hi again", user="returning").ticket
    assert again.assignee_id not in (None, holder.user_id)


@pytest.mark.django_db
@pytest.mark.parametrize("strict", [False, True])
def test_skills_by_tag(channel, team, strict):
    TeamRouting.objects.create(
        team=team, strategy="round_robin", sticky=False, skills_strict=strict
    )
    generalist, expert = agents(team, 2, capacity=1)
    refunds = TagFactory(name="return/refund")
    AgentSkills.objects.create(agent=expert).tags.add(refunds)
    Rule.objects.create(
        name="refunds",
        conditions=[{"type": "text_contains", "words": ["refund"]}],
        actions=[{"type": "add_tag", "tag": "return/refund"}],
    )
    t1 = say(channel, "I want a refund", user="c1").ticket
    assert t1.assignee_id == expert.user_id
    t2 = say(channel, "refund please", user="c2").ticket
    assert t2.assignee_id == (None if strict else generalist.user_id)


@pytest.mark.django_db
def test_channel_purposes_route_to_their_teams(db):
    Rule.objects.update(is_active=False)
    sales, support = TeamFactory(name="Sales"), TeamFactory(name="Support")
    TeamRouting.objects.create(team=sales, default_for_purpose="sales")
    TeamRouting.objects.create(team=support, default_for_purpose="support")
    shop = ChannelFactory(kind="webchat", name="Shop chat")
    help_ = ChannelFactory(kind="email", name="help@")
    ChannelSettings.objects.create(channel=shop, purpose="sales")
    ChannelSettings.objects.create(channel=help_, purpose="support")
    assert say(shop, "Есть ли скидки?").ticket.team == sales
    assert say(help_, "Не работает вход").ticket.team == support


@pytest.mark.django_db
def test_manual_strategy_leaves_the_queue(channel, team):
    TeamRouting.objects.create(team=team, strategy="manual")
    agents(team, 1)
    assert say(channel, "hi").ticket.assignee_id is None


@pytest.mark.django_db
def test_route_without_team_does_nothing(db):
    ticket = TicketFactory()
    assert ticket_route(ticket=ticket) is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_parallel_intake_never_assigns_a_slot_twice(channel, team):
    pool = agents(team, 3, capacity=2)
    n = 12
    barrier = threading.Barrier(n)
    errors = []

    def write(i):
        try:
            barrier.wait()
            say(channel, f"Где мой заказ {i}?", user=f"p{i}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    counts = Counter(
        Ticket.objects.filter(assignee__isnull=False).values_list("assignee_id", flat=True)
    )
    assert counts == {a.user_id: 2 for a in pool}  # every slot filled once, none twice
    assert Ticket.objects.filter(assignee__isnull=True).count() == n - 6
