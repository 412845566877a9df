"""The intake's hot path: what rules and routing cost a new customer's first message.

The rules version comes with the channel read, a customer created by this message is known
to have no other ticket, and the combined write (ticket UPDATE, tag rows, events, routing's
cursor) is one statement on PostgreSQL (the ORM's separate writes elsewhere, same rows).
"""

import pytest
from django.db import connection
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext

from helpdesk.scoped_cache import scoped_cache
from tests.factories.tickets import AgentProfileFactory, ChannelFactory, TeamFactory
from tests.tickets.automation_helpers import _fresh_rules_cache, say  # noqa: F401
from tickets import dispatch
from tickets.automation import receivers
from tickets.automation.models import ChannelSettings, Rule, TeamRouting
from tickets.inbound import InboundMessage, SenderIdentity
from tickets.models import PRIORITY_RANK, Tag, Team, Ticket, TicketEvent
from tickets.services import receive
from tickets.services.routing import team_routing_put, ticket_route_pick
from tickets.services.tickets import ticket_update_begin, ticket_update_save

pytestmark = pytest.mark.django_db

PAYMENT = "С карты списали деньги дважды, верните пожалуйста"
POSTGRES = connection.vendor == "postgresql"
# Agent lock, loads with the round-robin cursor (the team's routing settings come with the
# channel read, the tag from the process's tag cache), then the one write (PostgreSQL) or
# its four statements (ticket UPDATE, tag insert, event insert, cursor UPDATE). 10 before.
AUTOMATION_MAX = 3 if POSTGRES else 6


@pytest.fixture
def team(db):
    return TeamFactory(name="Support")


@pytest.fixture
def pool(team):
    made = []
    for _ in range(3):
        agent = AgentProfileFactory(capacity=10, online_state="online")
        agent.teams.add(team)
        made.append(agent)
    return made


@pytest.fixture
def channel(team, pool):
    channel = ChannelFactory(kind="telegram", name="Support bot")
    ChannelSettings.objects.create(channel=channel, default_team=team)
    TeamRouting.objects.create(team=team, strategy="round_robin", sticky=True)
    return channel


@pytest.fixture
def automation_queries():
    """The SQL the automation subscribers run themselves (not what `sla` and the other
    apps run in reaction to their writes), as the bench counts it."""
    ours = {fn for _event, fn in receivers.SUBSCRIPTIONS}
    stack: list[bool] = []
    seen: list[str] = []
    wrapped = []

    def wrap(fn):
        def wrapper(**kw):
            stack.append(fn in ours)
            try:
                return fn(**kw)
            finally:
                stack.pop()

        return wrapper

    for event, fns in list(dispatch._subscribers.items()):
        for fn in list(fns):
            dispatch.unsubscribe(event, fn)
            w = wrap(fn)
            dispatch.subscribe(event, w)
            wrapped.append((event, fn, w))

    def count(execute, sql, params, many, context):
        if stack and stack[-1]:
            seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield seen
    for event, fn, w in wrapped:
        dispatch.unsubscribe(event, w)
        dispatch.subscribe(event, fn)


def _receive(channel, text, *, user, email=""):
    from django.utils import timezone

    return receive(
        msg=InboundMessage(
            channel_id=channel.pk,
            external_message_id=f"{user}-{text[:10]}-{timezone.now().timestamp()}",
            sender=SenderIdentity(external_id=user, name="N", email=email),
            text=text,
            sent_at=timezone.now(),
        )
    )


def test_new_customer_rules_and_routing_queries(channel, automation_queries):
    say(channel, PAYMENT, user="warm-up")  # the process-wide rules and tag caches fill once
    automation_queries.clear()
    ticket = say(channel, PAYMENT, user="new").ticket
    sql = "\n".join(automation_queries)
    assert len(automation_queries) <= AUTOMATION_MAX, sql
    assert "automation_rule" not in sql  # the version came with the channel
    assert 'SELECT "tickets_tag"' not in sql  # the tag was known (its version came too)
    assert '"tickets_ticket"."customer_id"' not in sql  # no "other tickets?" question
    assert 'FROM "automation_teamrouting"' not in sql.split("UNION ALL")[0]
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.priority == "high" and ticket.team.name == "Support"
    assert ticket.assignee_id is not None
    assert {t.name for t in ticket.tags.all()} >= {"payment"}


def test_rules_version_read_with_the_channel(channel):
    say(channel, "Здравствуйте", user="a")  # the process-wide rules cache fills once
    with CaptureQueriesContext(connection) as ctx:
        say(channel, "Здравствуйте", user="b")
    rule_reads = [q["sql"] for q in ctx.captured_queries if "automation_rule" in q["sql"]]
    assert len(rule_reads) == 1
    assert "tickets_channel" in rule_reads[0]


def test_a_rule_changed_without_signals_applies_to_the_next_message(channel):
    say(channel, "hello", user="a")
    Rule.objects.create(
        name="vip",
        position=1,
        conditions=[{"type": "text_contains", "words": ["hello"]}],
        actions=[{"type": "add_tag", "tag": "greeting"}],
        is_active=False,
    )
    # A queryset update sends no save signal: the version read with the channel sees it.
    Rule.objects.filter(name="vip").update(is_active=True)
    ticket = say(channel, "hello", user="b").ticket
    assert "greeting" in {t.name for t in ticket.tags.all()}


def _repeat_rule():
    Rule.objects.create(
        name="repeat",
        position=1,
        conditions=[{"type": "customer_repeat", "value": True}],
        actions=[{"type": "add_tag", "tag": "repeat"}],
    )


def test_a_customer_matched_by_email_is_still_a_repeat_customer(channel, team):
    """The intake only knows "no other ticket" for a customer it created itself."""
    _repeat_rule()
    other = ChannelFactory(kind="email", name="Mail")
    ChannelSettings.objects.create(channel=other, default_team=team)
    first = _receive(other, "first", user="mail-1", email="ann@example.com").message.ticket
    second = _receive(channel, "second", user="tg-1", email="ann@example.com").message.ticket
    assert second.customer_id == first.customer_id and second.pk != first.pk
    assert "repeat" in {t.name for t in second.tags.all()}
    assert "repeat" not in {t.name for t in first.tags.all()}
    # Sticky: the previous agent takes it.
    assert second.assignee_id == first.assignee_id


def test_first_message_of_a_new_customer_is_not_a_repeat(channel):
    _repeat_rule()
    ticket = say(channel, "hi", user="fresh").ticket
    assert "repeat" not in {t.name for t in ticket.tags.all()}
    # The same customer's next ticket (after closing the first) is a repeat.
    Ticket.objects.filter(pk=ticket.pk).update(status="closed")
    again = say(channel, "hi again", user="fresh").ticket
    assert again.pk != ticket.pk
    assert "repeat" in {t.name for t in again.tags.all()}


def _stored(ticket):
    ticket = Ticket.objects.get(pk=ticket.pk)
    return (
        (ticket.status, ticket.priority, ticket.priority_rank, ticket.team_id, ticket.assignee_id),
        sorted(ticket.tags.values_list("name", flat=True)),
        list(
            TicketEvent.objects.filter(ticket=ticket)
            .order_by("pk")
            .values_list("kind", "actor_label", "data")
        ),
    )


def test_combined_write_tags_status_priority_and_cursor(channel, team, pool):
    ticket = say(channel, "Здравствуйте", user="c").ticket
    ticket = Ticket.objects.get(pk=ticket.pk)
    status, priority, assignee_id = ticket.status, ticket.priority, ticket.assignee_id
    assert assignee_id is not None and priority != "urgent"
    keep, drop = Tag.objects.create(name="keep"), Tag.objects.create(name="drop")
    ticket.tags.add(keep, drop)
    TeamRouting.objects.filter(team=team).update(last_agent=None)
    update = ticket_update_begin(ticket=ticket)
    update.set_tags(add=[Tag.objects.create(name="new")], remove=[drop], actor_label="rule:1")
    update.set_priority(priority="urgent", actor_label="rule:2")
    update.set_status(status="pending", actor_label="rule:3")
    update.assign(assignee=None, actor_label="rule:4")
    pick = ticket_route_pick(update=update)
    update.assign(assignee=pick.user, actor_label="routing")
    pending = list(update._events)
    saved = ticket_update_save(update=update)
    fields, tags, events = _stored(saved)
    assert fields == ("pending", "urgent", PRIORITY_RANK["urgent"], team.pk, pick.user_id)
    assert tags == ["keep", "new"]
    assert events[-5:] == [
        ("tags_changed", "rule:1", {"added": ["new"], "removed": ["drop"]}),
        ("priority_changed", "rule:2", {"from": priority, "to": "urgent"}),
        ("status_changed", "rule:3", {"from": status, "to": "pending"}),
        ("assigned", "rule:4", {"from": assignee_id, "to": None}),
        ("assigned", "routing", {"from": None, "to": pick.user_id}),
    ]
    assert TeamRouting.objects.get(team=team).last_agent_id == pick.pk
    # The event objects got their primary keys, in order, as bulk_create gives them.
    stored = list(TicketEvent.objects.filter(ticket=saved).order_by("-pk")[:5])[::-1]
    assert [e.pk for e in pending] == [e.pk for e in stored]


def test_cursor_moves_when_nothing_else_changed(channel, team, pool):
    """No field change, no event: routing's cursor is written all the same."""
    ticket = say(channel, "Здравствуйте", user="c").ticket
    routing = TeamRouting.objects.get(team=team)
    update = ticket_update_begin(ticket=ticket)
    update.assign(assignee=None)
    ticket_update_save(update=update)
    update = ticket_update_begin(ticket=Ticket.objects.get(pk=ticket.pk))
    pick = ticket_route_pick(update=update)
    TeamRouting.objects.filter(pk=routing.pk).update(last_agent=None)
    assert not update.changed
    ticket_update_save(update=update)
    assert TeamRouting.objects.get(pk=routing.pk).last_agent_id == pick.pk


def test_ticket_save_listeners_get_the_orm_path(channel):
    """Someone listening to the ticket's post_save gets it, as with the ORM's save."""
    heard = []

    def on_save(*, instance, update_fields=None, **_kw):
        heard.append((instance.pk, sorted(update_fields or [])))

    post_save.connect(on_save, sender=Ticket, dispatch_uid="test_hot_path_listener")
    try:
        ticket = say(channel, PAYMENT, user="listened").ticket
    finally:
        post_save.disconnect(sender=Ticket, dispatch_uid="test_hot_path_listener")
    assert (ticket.pk, ["assignee", "priority", "priority_rank", "team", "updated_at"]) in heard
    assert "payment" in _stored(ticket)[1]


def test_same_rows_either_path(channel, monkeypatch):
    """The one statement and the ORM's writes store the same ticket, tags and events."""
    from tickets.services import tickets as tickets_services

    one = _stored(say(channel, PAYMENT, user="one").ticket)
    monkeypatch.setattr(tickets_services, "_one_statement_ok", lambda: False)
    plain = _stored(say(channel, PAYMENT, user="plain").ticket)

    def shape(stored):
        fields, tags, events = stored
        return fields[:3], tags, [(kind, label) for kind, label, _data in events]

    assert shape(one) == shape(plain)


def test_round_robin_reads_the_cursor_after_the_agents_lock(channel, team, pool):
    """The team's routing settings come with the channel read, before the agents' lock;
    the cursor another intake moved meanwhile is read after the lock, with the loads."""
    ticket = say(channel, "Здравствуйте", user="c").ticket
    update = ticket_update_begin(ticket=ticket)
    update.assign(assignee=None)
    ticket_update_save(update=update)
    first, second = sorted(pool, key=lambda a: a.pk)[:2]
    with scoped_cache():
        TeamRouting.objects.filter(team=team).update(last_agent=None)
        team_routing_put(Team.objects.select_related("routing").get(pk=team.pk))
        TeamRouting.objects.filter(team=team).update(last_agent=first)  # the other intake
        update = ticket_update_begin(ticket=Ticket.objects.get(pk=ticket.pk))
        with CaptureQueriesContext(connection) as ctx:
            pick = ticket_route_pick(update=update)
    assert pick.pk == second.pk
    assert not [q for q in ctx.captured_queries if q["sql"].startswith('SELECT "automation_')]
