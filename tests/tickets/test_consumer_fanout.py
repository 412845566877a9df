"""Live fan-out of a customer message to every connected operator: the event carries what
each connection needs (the assignee, read once at commit), so N operators connected cost no
query each."""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.db.backends.utils import CursorWrapper

from helpdesk.realtime import publish, publish_on_commit
from tests.factories.tickets import MessageFactory, TicketFactory, UserFactory
from tickets.consumers import AgentConsumer
from tickets.services.events import message_publish
from tickets.services.tickets import ticket_assign

ASSIGNEE_READ = 'SELECT "tickets_ticket"."assignee_id" AS'


@pytest.fixture
def queries(monkeypatch):
    """Every SQL statement run in any thread (the consumers run theirs in worker threads)."""
    seen: list[str] = []
    original = CursorWrapper._execute_with_wrappers

    def spy(self, sql, params, many, executor):
        seen.append(sql)
        return original(self, sql, params, many, executor)

    monkeypatch.setattr(CursorWrapper, "_execute_with_wrappers", spy)
    return seen


def _communicator(user):
    communicator = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/agent/")
    communicator.scope["user"] = user
    return communicator


async def _connect_all(users):
    communicators = [_communicator(u) for u in users]
    for communicator in communicators:
        connected, _ = await communicator.connect()
        assert connected
    return communicators


async def _receive_type(communicator, event_type: str) -> dict:
    for _ in range(5):
        event = await communicator.receive_json_from(timeout=2)
        if event["type"] == event_type:
            return event
    raise AssertionError(f"no {event_type}")


@pytest.mark.django_db(transaction=True)
def test_message_event_is_marked_for_me_without_a_query_per_operator(queries):
    operators = [UserFactory(username=f"op{n}", role="operator") for n in range(5)]
    ticket = TicketFactory(assignee=operators[2])
    event = {
        "type": "message.created",
        "ticket_id": ticket.pk,
        "message_id": 1,
        "direction": "in",
        "author_kind": "customer",
        "delivery_status": "received",
        "assignee_id": operators[2].pk,
    }

    async def run():
        communicators = await _connect_all(operators)
        queries.clear()  # connecting reads the roles and the team-restriction switch
        await sync_to_async(publish, thread_sensitive=False)(event=event, groups=["queue"])
        got = [await c.receive_json_from(timeout=2) for c in communicators]
        for communicator in communicators:
            await communicator.disconnect()
        return got

    got = async_to_sync(run)()
    assert [e["for_me"] for e in got] == [False, False, True, False, False]
    assert queries == []  # neither the assignee nor the restriction switch per operator


@pytest.mark.django_db(transaction=True)
def test_assignment_later_in_the_same_transaction_reaches_the_event(queries):
    olga = UserFactory(username="olga", role="operator")
    others = [UserFactory(username=f"op{n}", role="operator") for n in range(3)]
    ticket = TicketFactory(assignee=None, status="new")

    def receive_and_route():
        # The intake's order: the message is published, routing assigns afterwards.
        with transaction.atomic():
            message = MessageFactory(ticket=ticket, direction="in")
            message_publish(message=message)
            ticket_assign(ticket=ticket, assignee=olga, actor_label="routing")

    async def run():
        communicators = await _connect_all([olga, *others])
        queries.clear()
        await sync_to_async(receive_and_route, thread_sensitive=False)()
        got = [await _receive_type(c, "message.created") for c in communicators]
        for communicator in communicators:
            await communicator.disconnect()
        return got

    got = async_to_sync(run)()
    assert [e["for_me"] for e in got] == [True, False, False, False]
    assert {e["assignee_id"] for e in got} == {olga.pk}
    # One read of the assignee at commit, whatever the number of operators connected.
    assert sum(1 for sql in queries if sql.startswith(ASSIGNEE_READ)) == 1


@pytest.mark.django_db(transaction=True)
def test_event_without_assignee_is_still_marked():
    """An event from a process that does not send the assignee yet is looked up."""
    olga = UserFactory(username="olga", role="operator")
    ticket = TicketFactory(assignee=olga)
    event = {"type": "message.created", "ticket_id": ticket.pk, "direction": "in"}

    async def run():
        (communicator,) = await _connect_all([olga])
        await sync_to_async(publish, thread_sensitive=False)(event=event, groups=["queue"])
        got = await communicator.receive_json_from(timeout=2)
        await communicator.disconnect()
        return got

    assert async_to_sync(run)()["for_me"] is True


@pytest.mark.django_db
def test_completion_runs_at_commit_and_a_failing_one_still_publishes(
    monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(
        "helpdesk.realtime.publish", lambda *, event, groups: sent.append((event, groups))
    )
    state = {"assignee_id": None}

    def broken(event):
        raise RuntimeError("database gone")

    with django_capture_on_commit_callbacks(execute=True):
        publish_on_commit(
            event={"type": "message.created", "ticket_id": 1},
            groups=["queue"],
            complete=lambda event: {**event, **state},
        )
        publish_on_commit(
            event={"type": "message.created", "ticket_id": 2}, groups=["queue"], complete=broken
        )
        state["assignee_id"] = 7  # changed after the publish call, before the commit

    assert sent == [
        ({"type": "message.created", "ticket_id": 1, "assignee_id": 7}, ["queue"]),
        ({"type": "message.created", "ticket_id": 2}, ["queue"]),
    ]
