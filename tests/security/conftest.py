"""Shared fixtures for the security tests: one small world with two teams, users per role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from tests.factories.tickets import (
    AgentProfileFactory,
    ChannelFactory,
    CustomerFactory,
    MessageFactory,
    TagFactory,
    TeamFactory,
    TicketFactory,
    UserFactory,
)
from tickets.models import Attachment, CannedResponse

ROLES = ("anonymous", "operator", "manager", "admin")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Users are made by the dozen here; a slow hasher would dominate the run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    users: dict
    team_a: object
    team_b: object
    channel: object
    webchat: object
    customer: object
    ticket: object
    ticket_b: object
    message: object
    attachment: object
    canned: object
    tag: object


@pytest.fixture
def world(db) -> World:
    team_a = TeamFactory(name="Billing")
    team_b = TeamFactory(name="Delivery")
    operator = UserFactory(username="op", role="operator")
    AgentProfileFactory(user=operator).teams.add(team_a)
    users = {
        "anonymous": None,
        "operator": operator,
        "manager": UserFactory(username="boss", role="manager"),
        "admin": UserFactory(username="root", role="admin"),
    }
    channel = ChannelFactory(kind="generic", name="Bridge")
    webchat = ChannelFactory(kind="webchat", name="Site chat", config={"origins": ["*"]})
    customer = CustomerFactory(name="Carla")
    ticket = TicketFactory(customer=customer, channel=channel, team=team_a)
    ticket_b = TicketFactory(customer=customer, channel=channel, team=team_b)
    message = MessageFactory(ticket=ticket)
    attachment = Attachment(message=message, filename="note.txt", content_type="text/plain")
    attachment.file.save("note.txt", ContentFile(b"hello"), save=True)
    canned = CannedResponse.objects.create(title="Hi", shortcut="hi", body="Hello!")
    return World(
        users=users,
        team_a=team_a,
        team_b=team_b,
        channel=channel,
        webchat=webchat,
        customer=customer,
        ticket=ticket,
        ticket_b=ticket_b,
        message=message,
        attachment=attachment,
        canned=canned,
        tag=TagFactory(name="refund"),
    )


def client_for(user, **kwargs) -> Client:
    client = Client(**kwargs)
    if user is not None:
        client.force_login(user)
    return client
