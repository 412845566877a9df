"""Routing's plain-SQL reads (tickets.services.routing_sql): the agents' lock with their
users and skills rows, and the loads with the round-robin cursor, one statement each."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories.tickets import AgentProfileFactory, TagFactory, TeamFactory, TicketFactory
from tickets.automation.models import AgentSkills, TeamRouting
from tickets.models import ACTIVE_STATUSES
from tickets.services.routing_sql import agents_lock, loads_and_cursor

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return TeamFactory(name="Support")


def _agents(team, n, **kw):
    made = []
    for _ in range(n):
        agent = AgentProfileFactory(**kw)
        agent.teams.add(team)
        made.append(agent)
    return made


def test_lock_reads_the_team_agents_with_users_and_skills_in_one_statement(team):
    first, second, third = _agents(team, 3, capacity=4, online_state="online")
    _agents(TeamFactory(name="Sales"), 1)  # another team's agent is not read
    skills = AgentSkills.objects.create(agent=second)
    skills.tags.add(TagFactory(name="payment"))
    with CaptureQueriesContext(connection) as ctx:
        agents = agents_lock([team.pk])
        users = [a.user.username for a in agents]
        has_skills = [hasattr(a, "skills") for a in agents]
        skills_ids = [a.skills.pk for a, has in zip(agents, has_skills, strict=True) if has]
    assert len(ctx.captured_queries) == 1
    sql = ctx.captured_queries[0]["sql"]
    if connection.features.has_select_for_update_of:
        assert sql.endswith("FOR UPDATE OF a")
    assert [a.pk for a in agents] == sorted(a.pk for a in (first, second, third))
    by_pk = {a.pk: a for a in (first, second, third)}
    assert users == [by_pk[a.pk].user.username for a in agents]
    assert has_skills == [a.pk == second.pk for a in agents]
    assert skills_ids == [skills.pk]
    agent = agents[0]
    assert (agent.capacity, agent.online_state, agent.user_id) == (4, "online", agent.user.pk)
    assert not agent._state.adding and agent._state.db == "default"


def test_lock_of_a_team_without_agents(team):
    assert agents_lock([team.pk]) == []


def test_loads_count_active_tickets_and_read_the_cursor(team):
    a, b, c = _agents(team, 3, online_state="online")
    routing = TeamRouting.objects.create(team=team, last_agent=b)
    for status in ("new", "open", "pending", "solved", "closed"):
        TicketFactory(assignee=a.user, status=status)
    keep = TicketFactory(assignee=b.user, status="on_hold")
    TicketFactory(assignee=b.user, status="open")
    with CaptureQueriesContext(connection) as ctx:
        loads, cursor = loads_and_cursor(
            [a.user_id, b.user_id, c.user_id],
            statuses=list(ACTIVE_STATUSES),
            exclude_ticket=keep.pk,
            routing_id=routing.pk,
        )
    assert len(ctx.captured_queries) == 1
    assert loads == {a.user_id: 3, b.user_id: 1}
    assert cursor == b.pk
    loads, cursor = loads_and_cursor(
        [a.user_id, b.user_id], statuses=["open"], exclude_ticket=None, routing_id=None
    )
    assert (loads, cursor) == ({a.user_id: 1, b.user_id: 1}, 0)  # "open" only
    TeamRouting.objects.filter(pk=routing.pk).update(last_agent=None)
    assert loads_and_cursor(
        [c.user_id], statuses=["open"], exclude_ticket=None, routing_id=routing.pk
    ) == ({}, 0)
