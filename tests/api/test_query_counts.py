"""Each list endpoint answers in a number of queries that does not grow with its rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from metrics.models import RevenueEvent, Survey, SurveyResponse
from sla.models import SlaPolicy
from tests.api.conftest import client_for
from tests.factories.tickets import (
    AgentProfileFactory,
    ChannelFactory,
    CustomerFactory,
    CustomerIdentityFactory,
    MessageFactory,
    TagFactory,
    TeamFactory,
    TicketFactory,
)
from tickets.automation.models import Rule
from tickets.models import CannedResponse, WorkspaceSettings

pytestmark = pytest.mark.django_db


def add_rows(world, n: int, start: int) -> None:
    for i in range(start, start + n):
        team = TeamFactory(name=f"Team {i}")
        ticket = TicketFactory(customer=world.customer, channel=world.channel, team=team)
        ticket.tags.add(TagFactory(name=f"t{i}"))
        MessageFactory(ticket=ticket)
        MessageFactory(ticket=world.ticket)
        CustomerIdentityFactory(customer=world.customer, channel=ChannelFactory())
        CustomerFactory()
        AgentProfileFactory().teams.add(team)
        CannedResponse.objects.create(title=f"C{i}", shortcut=f"c{i}", body="x")
        Rule.objects.create(name=f"R{i}", actions=[{"type": "add_tag", "tag": "x"}])
        policy = SlaPolicy.objects.create(name=f"P{i}", business_hours=False)
        policy.teams.add(team)
        now = timezone.now()
        survey = Survey.objects.create(
            kind="csat", ticket=ticket, customer=world.customer, channel=world.channel,
            sent_at=now, expires_at=now + timedelta(days=1),
        )  # fmt: skip
        SurveyResponse.objects.create(
            survey=survey, kind="csat", score=4, ticket=ticket, customer=world.customer,
            channel=world.channel,
        )  # fmt: skip
        RevenueEvent.objects.create(order_id=f"O{i}", amount="1.00", occurred_at=now)


LISTS = [
    "/api/tickets/",
    "/api/tickets/?tag={tag}&status=new",
    "/api/tickets/{ticket}/",
    "/api/tickets/{ticket}/messages/",
    "/api/customers/",
    "/api/customers/{customer}/",
    "/api/customers/{customer}/identities/",
    "/api/teams/",
    "/api/agents/",
    "/api/tags/",
    "/api/canned-responses/",
    "/api/channels/",
    "/api/rules/",
    "/api/sla-policies/",
    "/api/surveys/",
    "/api/revenue-events/",
]


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.content)
    return len(ctx)


@pytest.mark.parametrize("restricted", [False, True])
def test_list_query_counts_are_constant(users, world, restricted):
    WorkspaceSettings.objects.update_or_create(
        pk=1, defaults={"restrict_operators_to_teams": restricted}
    )
    admin = client_for(users["admin"])
    operator = client_for(users["operator"])
    urls = [
        u.format(tag=world.tag.pk, ticket=world.ticket.pk, customer=world.customer.pk)
        for u in LISTS
    ]
    add_rows(world, 2, 0)
    # Per-user and per-request lookups (role, workspace switches) may be cached after a first
    # request: measure warm requests.
    for url in urls:
        admin.get(url)
    operator.get(urls[0])
    before = {u: count_queries(admin, u) for u in urls}
    before_operator = count_queries(operator, urls[0])
    add_rows(world, 8, 2)
    after = {u: count_queries(admin, u) for u in urls}
    assert after == before
    assert count_queries(operator, urls[0]) == before_operator
    assert max(after.values()) <= 10
