"""Fixtures of the API tests: a client per role and a small world every endpoint can act on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from metrics.models import RevenueEvent, Survey, SurveyResponse
from sla.models import SlaPolicy
from tests.factories.tickets import (
    AgentProfileFactory,
    ChannelFactory,
    CustomerFactory,
    CustomerIdentityFactory,
    MessageFactory,
    TagFactory,
    TeamFactory,
    TicketFactory,
    UserFactory,
)
from tickets.automation.models import Rule
from tickets.models import CannedResponse

ROLES = ["anonymous", "norole", "operator", "manager", "admin"]


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the cache: each test starts with a full budget."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def users(db):
    return {
        "anonymous": None,
        "norole": UserFactory(username="nobody"),
        "operator": UserFactory(username="olga", role="operator"),
        "manager": UserFactory(username="max", role="manager"),
        "admin": UserFactory(username="ada", role="admin"),
    }


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@dataclass
class World:
    channel: object
    team: object
    other_team: object
    agent: object
    tag: object
    customer: object
    other_customer: object
    identity: object
    ticket: object
    other_ticket: object
    message: object
    second_message: object
    canned: object
    rule: object
    policy: object
    survey_answer: object
    revenue: object

    def ids(self) -> dict[str, str]:
        """Values for the {path parameters} of the schema."""
        return {
            "channels": str(self.channel.pk),
            "teams": str(self.team.pk),
            "agents": str(self.agent.pk),
            "tags": str(self.tag.pk),
            "customers": str(self.customer.pk),
            "identities": str(self.identity.pk),
            "tickets": str(self.ticket.pk),
            "messages": str(self.second_message.pk),
            "canned-responses": str(self.canned.pk),
            "rules": str(self.rule.pk),
            "sla-policies": str(self.policy.pk),
        }


@pytest.fixture
def world(users) -> World:
    channel = ChannelFactory(name="Bridge", secret="bridge-secret")
    team = TeamFactory(name="Billing")
    other_team = TeamFactory(name="Delivery")
    agent = AgentProfileFactory(user=users["operator"])
    agent.teams.add(team)
    tag = TagFactory(name="refund")
    customer = CustomerFactory(name="Irina Petrova", email="irina@example.org", phone="+7900")
    other_customer = CustomerFactory(name="Irina P.", email="")
    identity = CustomerIdentityFactory(customer=customer, channel=channel, external_id="tg-1")
    ticket = TicketFactory(customer=customer, channel=channel, team=team, subject="Refund")
    message = MessageFactory(ticket=ticket, text="Where is my refund?")
    second_message = MessageFactory(ticket=ticket, text="Also: a new card please")
    other_ticket = TicketFactory(customer=other_customer, channel=channel, team=other_team)
    MessageFactory(ticket=other_ticket, text="Late parcel")
    canned = CannedResponse.objects.create(
        title="Refund timing", shortcut="refund", body="Hello {{customer_name}}, 3 days."
    )
    rule = Rule.objects.create(
        name="Refunds", conditions=[{"type": "text_contains", "words": ["refund"]}],
        actions=[{"type": "add_tag", "tag": "refund"}],
    )  # fmt: skip
    policy = SlaPolicy.objects.create(
        name="Standard", first_response_minutes=60, business_hours=False
    )
    now = timezone.now()
    survey = Survey.objects.create(
        kind="csat", ticket=ticket, customer=customer, channel=channel,
        sent_at=now, expires_at=now + timedelta(days=3), answered_at=now,
    )  # fmt: skip
    answer = SurveyResponse.objects.create(
        survey=survey, kind="csat", score=5, ticket=ticket, customer=customer, channel=channel
    )
    revenue = RevenueEvent.objects.create(
        order_id="A-1", customer=customer, email=customer.email, amount="120.00", occurred_at=now
    )
    return World(
        channel=channel, team=team, other_team=other_team, agent=agent, tag=tag,
        customer=customer, other_customer=other_customer, identity=identity, ticket=ticket,
        other_ticket=other_ticket, message=message, second_message=second_message,
        canned=canned, rule=rule, policy=policy, survey_answer=answer, revenue=revenue,
    )  # fmt: skip
