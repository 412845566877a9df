"""Each event type reaches a real local receiver as the documented, signed JSON."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from metrics.models import Survey
from metrics.services import survey_answer
from sla.models import SlaPolicy
from sla.services import sla_sweep
from tests.factories.sla import SlaPolicyFactory
from tests.factories.tickets import ChannelFactory, TagFactory, UserFactory
from tests.integrations.conftest import received, verify
from tickets.automation.models import Rule, Trigger
from tickets.inbound import InboundMessage, SenderIdentity
from tickets.integrations.models import DeliveryStatus, WebhookDelivery
from tickets.models import Status, Ticket
from tickets.rules.apply import rules_cache_clear
from tickets.services import (
    message_split,
    receive,
    ticket_reply,
    ticket_set_priority,
    ticket_set_status,
    ticket_set_tags,
)

pytestmark = pytest.mark.django_db
UTC = dt.UTC
T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
_ids = itertools.count(1)


@pytest.fixture
def channel(db):
    return ChannelFactory(kind="telegram", name="Support bot")


@pytest.fixture
def agent(db):
    return UserFactory(username="anna", role="operator", first_name="Anna", last_name="Berg")


def customer_writes(channel, text="Where is my order 1042?", at=None):
    msg = InboundMessage(
        channel_id=channel.pk,
        external_message_id=f"m{next(_ids)}",
        sender=SenderIdentity(external_id="u-7", name="Carl Weber", email="carl@example.org"),
        text=text,
        sent_at=at or dt.datetime.now(tz=UTC),
    )
    return receive(msg=msg)


def events(sink, secret):
    return [(p["event"], p) for p in received(sink, secret)]


def test_new_ticket_sends_ticket_created_and_message_created(sink, subscribe, channel, committed):
    sub = subscribe(sink.url)
    with committed():
        result = customer_writes(channel)
    ticket = result.message.ticket
    got = events(sink, sub.secret)
    # The intake's rules tag the new ticket by its text after it was created: an update.
    assert [e for e, _ in got] == ["ticket.created", "ticket.updated", "message.created"]
    assert got[1][1]["data"]["changed"] == ["tags"]
    got = [got[0], got[2]]
    created = got[0][1]["data"]
    assert created["ticket"]["id"] == ticket.pk
    assert created["ticket"]["status"] == "new"
    assert created["ticket"]["channel"] == {
        "id": channel.pk,
        "kind": "telegram",
        "name": "Support bot",
    }
    assert created["ticket"]["customer"]["name"] == "Carl Weber"
    assert created["ticket"]["customer"]["email"] == "carl@example.org"
    assert created["ticket"]["url"].endswith(f"/tickets/{ticket.pk}/")
    assert created["message"]["text"] == "Where is my order 1042?"
    message = got[1][1]["data"]["message"]
    assert message["direction"] == "in" and message["author_kind"] == "customer"
    assert message["author"] is None and message["id"] == result.message.pk
    # The delivery log has one succeeded row per event, with the answer recorded.
    rows = WebhookDelivery.objects.filter(subscription=sub)
    assert {(d.event, d.status, d.response_code, d.attempts) for d in rows} == {
        ("ticket.created", DeliveryStatus.SUCCEEDED, 200, 1),
        ("ticket.updated", DeliveryStatus.SUCCEEDED, 200, 1),
        ("message.created", DeliveryStatus.SUCCEEDED, 200, 1),
    }
    assert {str(d.pk) for d in rows} == {json.loads(r["body"])["id"] for r in sink.requests}


def test_only_subscribed_event_types_are_sent(sink, subscribe, channel, committed):
    sub = subscribe(sink.url, events=["message.created"])
    with committed():
        customer_writes(channel)
    assert [e for e, _ in events(sink, sub.secret)] == ["message.created"]


def test_rule_changes_on_a_new_ticket_follow_ticket_created_as_one_update(
    sink, subscribe, channel, committed
):
    """ticket.created always comes first; what the intake's rules then set on the new ticket
    (priority, tags, team, assignee) arrives as one ticket.updated naming every field."""
    Rule.objects.create(
        name="Urgent words",
        trigger=Trigger.TICKET_CREATED,
        conditions=[{"type": "text_contains", "words": ["urgent"]}],
        actions=[{"type": "set_priority", "priority": "urgent"}],
        position=0,
    )
    rules_cache_clear()
    sub = subscribe(sink.url, events=["ticket.created", "ticket.updated"])
    with committed():
        customer_writes(channel, text="urgent: the delivery site is down")
    got = events(sink, sub.secret)
    assert [e for e, _ in got] == ["ticket.created", "ticket.updated"]
    assert got[0][1]["data"]["ticket"]["priority"] == "normal"
    update = got[1][1]["data"]
    assert {"priority", "tags"} <= set(update["changed"])
    assert update["ticket"]["priority"] == "urgent" and "delivery" in update["ticket"]["tags"]


def test_a_split_ticket_is_announced_once_with_what_rules_set_on_it(
    sink, subscribe, channel, agent, committed
):
    """A split creates the ticket and runs the creation rules before announcing it: the
    receiver gets ticket.created with the rules' result and no earlier update."""
    with committed():
        ticket = customer_writes(channel, text="Hello").message.ticket
        second = customer_writes(channel, text="Also, one more question").message
    sub = subscribe(sink.url, events=["ticket.created", "ticket.updated"])
    with committed():
        new = message_split(message=second, actor=agent)
    got = events(sink, sub.secret)
    assert [e for e, _ in got] == ["ticket.created"]
    data = got[0][1]["data"]
    assert data["ticket"]["id"] == new.pk != ticket.pk
    assert data["ticket"]["tags"] == ["repeat customer"]  # set by a ticket-created rule
    assert data["message"]["id"] == second.pk
    assert list(WebhookDelivery.objects.values_list("event", flat=True)) == ["ticket.created"]


def test_updates_name_what_changed(sink, subscribe, channel, committed):
    with committed():
        ticket = customer_writes(channel).message.ticket
    sub = subscribe(sink.url, events=["ticket.updated"])
    with committed():
        ticket_set_priority(ticket=ticket, priority="urgent")
        ticket_set_tags(ticket=ticket, add=[TagFactory(name="billing")])
    got = [p["data"] for _, p in events(sink, sub.secret)]
    assert [d["changed"] for d in got] == [["priority"], ["tags"]]
    assert got[0]["ticket"]["priority"] == "urgent"
    assert got[1]["ticket"]["tags"] == ["billing", "delivery"]  # "delivery" by the taxonomy


def test_solve_sends_ticket_solved_and_a_status_update(sink, subscribe, channel, agent, committed):
    with committed():
        ticket = customer_writes(channel).message.ticket
    sub = subscribe(sink.url, events=["ticket.solved", "ticket.updated"])
    with committed():
        ticket_set_status(ticket=ticket, status=Status.SOLVED, actor=agent)
    got = dict(events(sink, sub.secret))
    assert set(got) == {"ticket.updated", "ticket.solved"}
    assert got["ticket.solved"]["data"]["ticket"]["status"] == "solved"
    assert got["ticket.solved"]["data"]["ticket"]["solved_at"]
    assert got["ticket.solved"]["data"]["previous_status"] == "new"
    assert got["ticket.updated"]["data"]["changed"] == ["status"]
    with committed():  # other status changes are updates only
        ticket_set_status(ticket=ticket, status=Status.OPEN, actor=agent)
    assert [e for e, _ in events(sink, sub.secret)][-1] == "ticket.updated"
    assert len(sink.requests) == 3


def test_agent_reply_is_a_message_but_an_internal_note_is_never_sent(
    sink, subscribe, channel, agent, committed
):
    with committed():
        ticket = customer_writes(channel).message.ticket
    sub = subscribe(sink.url, events=["message.created"])
    with committed():
        ticket_reply(ticket=ticket, author=agent, text="Secret note: refund him", internal=True)
        ticket_reply(ticket=ticket, author=agent, text="Your order ships today.")
    got = [p["data"]["message"] for _, p in events(sink, sub.secret)]
    assert len(got) == 1
    assert got[0]["text"] == "Your order ships today."
    assert got[0]["author"]["username"] == "anna" and got[0]["author"]["name"] == "Anna Berg"
    assert got[0]["direction"] == "out" and got[0]["author_kind"] == "agent"
    assert b"Secret note" not in b"".join(r["body"] for r in sink.requests)
    assert not WebhookDelivery.objects.filter(body__contains="Secret note").exists()


def test_reopen_by_customer_is_an_update(sink, subscribe, channel, agent, committed):
    with committed():
        ticket = customer_writes(channel).message.ticket
        ticket_set_status(ticket=ticket, status=Status.SOLVED, actor=agent)
    sub = subscribe(sink.url, events=["ticket.updated"])
    with committed():
        customer_writes(channel, text="It did not arrive after all")
    (payload,) = [p for _, p in events(sink, sub.secret)]
    assert payload["data"]["changed"] == ["status"]
    assert payload["data"]["previous_status"] == "solved"
    assert payload["data"]["ticket"]["status"] == "open"


def test_rolled_back_change_sends_nothing(sink, subscribe, channel, committed):
    sub = subscribe(sink.url)
    with committed(), pytest.raises(RuntimeError), transaction.atomic():
        customer_writes(channel)
        assert WebhookDelivery.objects.filter(subscription=sub).count() == 3
        raise RuntimeError("the change fails after the event was recorded")
    assert sink.requests == []
    assert not WebhookDelivery.objects.exists()
    assert not Ticket.objects.exists()


def test_deliveries_for_several_subscribers_are_created_in_one_insert(
    sink, subscribe, channel, committed
):
    with committed():
        ticket = customer_writes(channel).message.ticket
    for _ in range(3):
        subscribe(sink.url, events=["ticket.updated"])
    with CaptureQueriesContext(connection) as ctx, committed():
        ticket_set_priority(ticket=ticket, priority="high")
    inserts = [q for q in ctx.captured_queries if q["sql"].startswith('INSERT INTO "integrations_')]
    assert len(inserts) == 1
    assert len(sink.requests) == 3
    # Each receiver gets its own delivery, signed with its own subscription's secret.
    by_id = {str(d.pk): d.subscription.secret for d in WebhookDelivery.objects.all()}
    for request in sink.requests:
        verify(by_id[request["headers"]["X-Helpdesk-Delivery"]], request)


def test_sla_warning_and_breach(sink, subscribe, channel, committed):
    SlaPolicy.objects.all().delete()
    SlaPolicyFactory(name="Test", position=100)  # first response in 60 minutes, warn at 75%
    with time_machine.travel(T0, tick=False), committed():
        ticket = customer_writes(channel, at=T0).message.ticket
    sub = subscribe(sink.url, events=["sla.warning", "sla.breached"])
    for minutes in (45, 61):
        with time_machine.travel(T0 + dt.timedelta(minutes=minutes), tick=False), committed():
            sla_sweep()
    got = events(sink, sub.secret)
    assert [e for e, _ in got] == ["sla.warning", "sla.breached"]
    for _, payload in got:
        assert payload["data"]["ticket"]["id"] == ticket.pk
        assert payload["data"]["sla"] == {
            "metric": "first_response",
            "due_at": (T0 + dt.timedelta(minutes=60)).isoformat(),
            "level": 0,
        }
    with time_machine.travel(T0 + dt.timedelta(minutes=70), tick=False), committed():
        sla_sweep()  # nothing new is due: nothing is sent twice
    assert len(sink.requests) == 2


def test_survey_answer(sink, subscribe, channel, agent, committed):
    with committed():
        ticket = customer_writes(channel).message.ticket
        ticket_reply(ticket=ticket, author=agent, text="Done.")
        ticket_set_status(ticket=ticket, status=Status.SOLVED, actor=agent)
    survey = Survey.objects.get(ticket=ticket)
    sub = subscribe(sink.url, events=["survey.answered"])
    with committed():
        survey_answer(survey=survey, score=5, comment="Quick and kind")
    (payload,) = [p for _, p in events(sink, sub.secret)]
    data = payload["data"]
    assert data["ticket"]["id"] == ticket.pk
    assert data["survey"]["kind"] == "csat" and data["survey"]["score"] == 5
    assert data["survey"]["comment"] == "Quick and kind"
    assert data["survey"]["source"] == "link" and data["survey"]["agent_id"] == agent.pk


def test_without_subscriptions_a_message_costs_one_query(channel, committed):
    """A new customer's ticket (creation, rules, routing: several events) reads the
    subscriptions once and writes nothing; so does a change outside the intake."""
    with CaptureQueriesContext(connection) as ctx, committed():
        ticket = customer_writes(channel).message.ticket
    assert len([q for q in ctx.captured_queries if "integrations_" in q["sql"]]) == 1
    with CaptureQueriesContext(connection) as ctx:
        ticket_set_priority(ticket=ticket, priority="low")
    assert len([q for q in ctx.captured_queries if "integrations_" in q["sql"]]) == 1
    assert not WebhookDelivery.objects.exists()


def test_a_subscription_added_mid_scope_is_seen(sink, subscribe, channel, committed):
    from helpdesk.scoped_cache import scoped_cache

    with committed(), scoped_cache():
        ticket = customer_writes(channel).message.ticket  # reads "no subscriptions"
        sub = subscribe(sink.url, events=["ticket.updated"])
        ticket_set_priority(ticket=ticket, priority="high")
    assert [e for e, _ in events(sink, sub.secret)] == ["ticket.updated"]
