"""The whole receive() of a new ticket with fewer round trips, and the same rows.

Inserts that may meet a unique constraint (the message's external id, the identity) use
ON CONFLICT DO NOTHING instead of a savepoint; the intake tells the subscribers what it
knows of a ticket and customer it has just created (no tags, no clocks, no other tickets);
rollup marks are made once per range and message.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from metrics.models import FactDay, RollupDirty
from sla.models import SlaClock, SlaPolicy, SlaStatusWatch
from tests.factories.tickets import AgentProfileFactory, ChannelFactory, TeamFactory
from tests.tickets.automation_helpers import _fresh_rules_cache  # noqa: F401
from tickets.automation.models import ChannelSettings, Rule, TeamRouting
from tickets.inbound import InboundMessage, SenderIdentity
from tickets.models import Customer, CustomerIdentity, Message, Ticket, TicketEvent
from tickets.services import customers as customers_services
from tickets.services import inserts, receive
from tickets.services import intake as intake_services
from tickets.services.customers import customer_resolve_for_identity

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(db):
    team = TeamFactory(name="Support")
    channel = ChannelFactory(kind="telegram", name="Support bot")
    ChannelSettings.objects.create(channel=channel, default_team=team)
    TeamRouting.objects.create(team=team, strategy="round_robin", sticky=True)
    AgentProfileFactory(capacity=10, online_state="online").teams.add(team)
    return channel


def _msg(channel, *, user, external_id, text="Здравствуйте", email=""):
    return InboundMessage(
        channel_id=channel.pk,
        external_message_id=external_id,
        sender=SenderIdentity(external_id=user, name="N", email=email),
        text=text,
        sent_at=timezone.now(),
    )


@pytest.fixture(params=["on conflict", "savepoint"])
def insert_path(request, monkeypatch):
    """Both ways of a conflicting insert: the one statement, and the savepoint (SQLite
    without RETURNING, or someone listening to the model's save signals)."""
    if request.param == "savepoint":
        monkeypatch.setattr(customers_services, "insert_ignoring_conflict_ok", lambda m: False)
        monkeypatch.setattr(intake_services, "insert_ignoring_conflict_ok", lambda m: False)
    return request.param


def test_concurrent_duplicate_message_returns_the_stored_one(channel, insert_path, monkeypatch):
    first = receive(msg=_msg(channel, user="a", external_id="dup-1"))
    counts = (Customer.objects.count(), Ticket.objects.count(), TicketEvent.objects.count())
    # The second delivery passes the duplicate check before the first is committed (the
    # race): its insert meets the unique external id.
    monkeypatch.setattr(intake_services, "_stored_message", lambda _channel: None)
    second = receive(msg=_msg(channel, user="b", external_id="dup-1"))
    assert not second.created and second.message.pk == first.message.pk
    # Everything it wrote before (a customer, a ticket, its event) is rolled back.
    assert (Customer.objects.count(), Ticket.objects.count(), TicketEvent.objects.count()) == (
        counts
    )
    # The connection is usable afterwards (no aborted transaction).
    third = receive(msg=_msg(channel, user="c", external_id="dup-2"))
    assert third.created and Message.objects.count() == 2


def test_concurrent_identity_uses_the_stored_one(channel, insert_path, monkeypatch):
    stored = receive(msg=_msg(channel, user="same", external_id="m1")).message.ticket.customer
    monkeypatch.setattr(customers_services, "_identity_find", lambda **_kw: None)
    customer, identity, created = customer_resolve_for_identity(
        channel=channel, sender=SenderIdentity(external_id="same", name="N")
    )
    assert (customer.pk, identity.customer_id, created) == (stored.pk, stored.pk, False)
    assert CustomerIdentity.objects.filter(external_id="same").count() == 1


def test_new_identity_gets_its_primary_key(channel, insert_path):
    customer, identity, created = customer_resolve_for_identity(
        channel=channel, sender=SenderIdentity(external_id="fresh", name="N", username="nn")
    )
    assert created and identity.pk
    stored = CustomerIdentity.objects.get(pk=identity.pk)
    assert (stored.customer_id, stored.external_id, stored.username) == (
        customer.pk,
        "fresh",
        "nn",
    )


def test_insert_statement_sets_what_save_would(channel):
    if not inserts.insert_ignoring_conflict_ok(Message):
        pytest.skip("this database has no INSERT ... RETURNING")
    ticket = receive(msg=_msg(channel, user="a", external_id="x1")).message.ticket
    message = Message(ticket=ticket, channel=channel, text="t", external_id="x2")
    assert inserts.insert_ignoring_conflict(message)
    stored = Message.objects.get(pk=message.pk)
    assert (stored.ticket_id, stored.text, stored.external_id, stored.direction) == (
        ticket.pk,
        "t",
        "x2",
        message.direction,
    )
    assert stored.created_at == message.created_at
    again = Message(ticket=ticket, channel=channel, text="t", external_id="x2")
    assert not inserts.insert_ignoring_conflict(again) and again.pk is None


def _clocks(ticket):
    return sorted(
        SlaClock.objects.filter(ticket=ticket).values_list(
            "metric", "policy_id", "cycle", "status", "target_seconds", "due_at", "warn_at"
        )
    )


def test_new_ticket_clocks_watch_and_due_time(channel):
    at = timezone.now()
    ticket = receive(msg=_msg(channel, user="a", external_id="c1")).message.ticket
    ticket = Ticket.objects.get(pk=ticket.pk)
    clocks = _clocks(ticket)
    policy = SlaPolicy.objects.get(name="Standard")  # a normal priority ticket's
    assert {m for m, *_ in clocks} == {"first_response", "resolution"}
    for _metric, policy_id, cycle, status, _target, due_at, _warn in clocks:
        assert (policy_id, cycle, status) == (policy.pk, 1, "running")
        assert due_at > at
    assert ticket.sla_due_at == min(c[5] for c in clocks)
    watch = SlaStatusWatch.objects.get(ticket=ticket)
    assert watch.status == ticket.status


def test_clocks_follow_a_rule_in_the_same_message(channel):
    """A rule raises the priority while the clocks the intake started are only known to
    the scope: they move to the urgent policy as when they were read from the table."""
    urgent = SlaPolicy.objects.create(
        name="urgent", position=0, priorities=["urgent"], first_response_minutes=5
    )
    assert urgent.target_minutes("resolution") is None
    Rule.objects.create(
        name="urgent words",
        position=1,
        conditions=[{"type": "text_contains", "words": ["срочно"]}],
        actions=[{"type": "set_priority", "priority": "urgent"}],
    )
    ticket = receive(msg=_msg(channel, user="a", external_id="u1", text="срочно!")).message.ticket
    first = SlaClock.objects.get(ticket=ticket, metric="first_response")
    assert first.policy_id == urgent.pk and first.target_seconds == 5 * 60
    # A clock the urgent policy has no target for is deleted, as before.
    assert not SlaClock.objects.filter(ticket=ticket, metric="resolution").exists()
    assert Ticket.objects.get(pk=ticket.pk).sla_due_at == first.due_at


def test_a_built_day_is_marked_once_per_message(channel):
    today = timezone.now().date()
    FactDay.objects.create(day=today, fcr_window_days=7)
    receive(msg=_msg(channel, user="a", external_id="r1"))
    # Created, updated by automation, message received: one mark of the created day.
    assert list(RollupDirty.objects.values_list("day_from", "day_to")) == [(today, today)]


def test_a_returning_customer_still_marks_the_solved_ticket_day(channel):
    """Only a customer created by this message skips the "came back" marks."""
    solved_at = timezone.now() - timedelta(days=2)
    first = receive(msg=_msg(channel, user="a", external_id="s1")).message.ticket
    Ticket.objects.filter(pk=first.pk).update(status="closed", solved_at=solved_at)
    FactDay.objects.create(day=solved_at.date(), fcr_window_days=7)
    receive(msg=_msg(channel, user="a", external_id="s2"))
    marks = set(RollupDirty.objects.values_list("day_from", "day_to"))
    assert (solved_at.date(), solved_at.date()) in marks


def test_fewer_round_trips_for_a_new_customer(channel):
    receive(msg=_msg(channel, user="warm", external_id="w1"))
    with CaptureQueriesContext(connection) as ctx:
        receive(msg=_msg(channel, user="new", external_id="n1"))
    sql = [q["sql"] for q in ctx.captured_queries]
    # receive()'s own transaction (a savepoint inside the test's): no other.
    assert len([s for s in sql if s.startswith("SAVEPOINT")]) == 1
    # Nothing to read of a ticket created in this message: its clocks, watch and tags.
    reads = [s for s in sql if s.startswith("SELECT")]
    assert not [s for s in reads if 'FROM "sla_slaclock"' in s]
    assert not [s for s in reads if 'FROM "sla_slastatuswatch"' in s]
    assert not [s for s in reads if 'INNER JOIN "tickets_ticket_tags"' in s]


def test_retried_delivery_is_found_by_the_channel_read(channel):
    first = receive(msg=_msg(channel, user="a", external_id="again"))
    with CaptureQueriesContext(connection) as ctx:
        again = receive(msg=_msg(channel, user="a", external_id="again"))
    assert not again.created and again.message.pk == first.message.pk
    # The channel read says it is stored; the message itself is read; nothing written.
    assert len(ctx.captured_queries) == 2
    # Another channel's message with the same external id is another message.
    other = ChannelFactory(kind="telegram", name="Other bot")
    assert receive(msg=_msg(other, user="a", external_id="again")).created
