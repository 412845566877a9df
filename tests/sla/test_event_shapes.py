"""Every live event the services publish matches its TypedDict in helpdesk/events.py."""

import datetime as dt

import pytest
import time_machine

from helpdesk.events import event_problems
from sla.services import sla_sweep
from tests.factories.sla import EscalationStepFactory
from tests.sla.conftest import T0
from tickets.services import ticket_assign, ticket_reply, ticket_set_priority

pytestmark = pytest.mark.django_db
MIN = dt.timedelta(minutes=1)


@pytest.fixture
def published(monkeypatch):
    sent = []
    monkeypatch.setattr(
        "helpdesk.realtime.publish", lambda *, event, groups: sent.append(dict(event))
    )
    return sent


def test_published_events_have_their_documented_shape(
    policy, customer_says, agent, published, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    EscalationStepFactory(policy=policy, level=1, action="notify_managers")

    def at(minutes, action):
        with (
            time_machine.travel(T0 + minutes * MIN, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return action()

    ticket = at(0, customer_says)
    ticket = at(1, lambda: ticket_assign(ticket=ticket, assignee=agent))
    at(2, lambda: ticket_set_priority(ticket=ticket, priority="high", actor=agent))
    at(50, sla_sweep)  # warning
    at(61, sla_sweep)  # breach, then escalation to managers
    at(62, lambda: ticket_reply(ticket=ticket, author=agent, text="Sorry for the wait"))

    assert {e["type"] for e in published} >= {
        "ticket.created",
        "ticket.updated",
        "message.created",
        "message.updated",
        "sla.warning",
        "sla.breached",
        "sla.escalated",
    }
    for event in published:
        assert event_problems(event) == [], event


def test_shape_checks_catch_a_wrong_event():
    assert event_problems({"type": "ticket.created", "ticket_id": 1}) != []
    assert event_problems({"type": "nope"}) == ["unknown event type 'nope'"]
    assert event_problems({"type": "sla.stuck", "items": [{"ticket_id": 1}]}) == [
        "item missing level",
        "item missing metric",
    ]
