"""The operators' websocket: who may connect and which events arrive."""

import asyncio

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from helpdesk.realtime import publish
from tests.factories.tickets import UserFactory
from tickets.consumers import AgentConsumer

pytestmark = pytest.mark.django_db(transaction=True)

EVENT = {"type": "ticket.created", "ticket_id": 7, "status": "new"}


def _communicator(user):
    communicator = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/agent/")
    communicator.scope["user"] = user
    return communicator


def _publish(event, groups):
    # publish() is sync (it wraps group_send); call it from a worker thread.
    return sync_to_async(publish, thread_sensitive=False)(event=event, groups=groups)


def test_anonymous_is_rejected():
    async def run():
        communicator = _communicator(AnonymousUser())
        connected, _ = await communicator.connect()
        await communicator.disconnect()
        return connected

    assert async_to_sync(run)() is False


def test_user_without_role_is_rejected():
    user = UserFactory(username="nobody")

    async def run():
        communicator = _communicator(user)
        connected, _ = await communicator.connect()
        await communicator.disconnect()
        return connected

    assert async_to_sync(run)() is False


def test_operator_receives_queue_events():
    user = UserFactory(username="olga", role="operator")

    async def run():
        communicator = _communicator(user)
        connected, _ = await communicator.connect()
        assert connected
        await _publish(EVENT, ["queue"])
        received = await communicator.receive_json_from(timeout=2)
        await communicator.disconnect()
        return received

    assert async_to_sync(run)() == EVENT


def test_event_published_to_several_groups_arrives_once():
    user = UserFactory(username="olga", role="operator")

    async def run():
        communicator = _communicator(user)
        await communicator.connect()
        await _publish(EVENT, ["queue", f"agent.{user.pk}"])
        first = await communicator.receive_json_from(timeout=2)
        nothing_else = await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()
        return first, nothing_else

    first, nothing_else = async_to_sync(run)()
    assert first == EVENT
    assert nothing_else


def test_watch_and_unwatch_a_ticket():
    user = UserFactory(username="olga", role="operator")
    ticket_event = {"type": "message.created", "ticket_id": 42, "message_id": 1}

    async def run():
        communicator = _communicator(user)
        await communicator.connect()
        # Not watching yet: events for ticket.42 do not arrive.
        await _publish(ticket_event, ["ticket.42"])
        before = await communicator.receive_nothing(timeout=0.3)
        await communicator.send_json_to({"action": "watch", "ticket_id": 42})
        await communicator.receive_nothing(timeout=0.1)  # let the consumer join the group
        await _publish(ticket_event, ["ticket.42"])
        watched = await communicator.receive_json_from(timeout=2)
        await communicator.send_json_to({"action": "unwatch", "ticket_id": 42})
        await communicator.receive_nothing(timeout=0.1)
        await _publish({**ticket_event, "message_id": 2}, ["ticket.42"])
        after = await communicator.receive_nothing(timeout=0.3)
        # Garbage from the client is ignored, the socket stays open.
        await communicator.send_to(text_data="not json")
        await communicator.send_json_to({"action": "watch", "ticket_id": "x"})
        await _publish(EVENT, ["queue"])
        still_open = await communicator.receive_json_from(timeout=2)
        await communicator.disconnect()
        return before, watched, after, still_open

    before, watched, after, still_open = async_to_sync(run)()
    assert before
    assert watched == ticket_event
    assert after
    assert still_open == EVENT


def _asgi_application(monkeypatch):
    monkeypatch.setenv("HELPDESK_ASGI_TICKER", "0")  # no background ticker in tests
    from helpdesk.asgi import application

    return application


def _connect_through_asgi(application, cookie: str = ""):
    headers = [(b"origin", b"http://localhost")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))

    async def run():
        communicator = WebsocketCommunicator(application, "/ws/agent/", headers=headers)
        connected, _ = await communicator.connect()
        received = None
        if connected:
            await _publish(EVENT, ["queue"])
            received = await communicator.receive_json_from(timeout=2)
        await communicator.disconnect()
        return connected, received

    return async_to_sync(run)()


def test_asgi_application_rejects_anonymous(monkeypatch):
    connected, _ = _connect_through_asgi(_asgi_application(monkeypatch))
    assert connected is False


def test_asgi_application_accepts_logged_in_operator(monkeypatch, client):
    application = _asgi_application(monkeypatch)
    client.force_login(UserFactory(username="olga", role="operator"))
    session = client.cookies["sessionid"].value
    connected, received = _connect_through_asgi(application, f"sessionid={session}")
    assert connected is True
    assert received == EVENT


def test_presence_viewing_typing_and_leaving():
    anna = UserFactory(username="anna", first_name="Anna", last_name="K", role="operator")
    petr = UserFactory(username="petr", first_name="Petr", last_name="I", role="operator")

    async def run():
        a, p = _communicator(anna), _communicator(petr)
        await a.connect()
        await p.connect()
        await a.send_json_to({"action": "watch", "ticket_id": 5})
        await p.send_json_to({"action": "watch", "ticket_id": 5})
        seen = [await a.receive_json_from(timeout=2)]  # Petr arrives
        seen.append(await p.receive_json_from(timeout=2))  # Anna answers she is there
        await a.send_json_to({"action": "presence", "ticket_id": 5, "state": "typing"})
        await a.send_json_to({"action": "presence", "ticket_id": 5, "state": "typing"})
        seen.append(await p.receive_json_from(timeout=2))
        throttled = await p.receive_nothing(timeout=0.3)
        await a.send_json_to({"action": "presence", "ticket_id": 6, "state": "typing"})
        unwatched = await p.receive_nothing(timeout=0.3)
        await a.disconnect()
        seen.append(await p.receive_json_from(timeout=2))
        await p.disconnect()
        return seen, throttled, unwatched

    seen, throttled, unwatched = async_to_sync(run)()
    assert [(e["name"], e["state"]) for e in seen] == [
        ("Petr I", "viewing"),
        ("Anna K", "viewing"),
        ("Anna K", "typing"),
        ("Anna K", "left"),
    ]
    assert all(e["type"] == "presence" and e["ticket_id"] == 5 for e in seen)
    assert throttled and unwatched


def test_customer_message_on_my_ticket_is_marked_for_me():
    from tests.factories.tickets import TicketFactory

    olga = UserFactory(username="olga", role="operator")
    mine = TicketFactory(assignee=olga)
    other = TicketFactory()

    async def run():
        c = _communicator(olga)
        await c.connect()
        got = []
        for ticket in (mine, other):
            event = {"type": "message.created", "ticket_id": ticket.pk, "direction": "in"}
            await _publish(event, ["queue"])
            got.append(await c.receive_json_from(timeout=2))
        await c.disconnect()
        return got

    got = async_to_sync(run)()
    assert [e["for_me"] for e in got] == [True, False]


def test_managers_hear_manager_alerts_and_operators_do_not():
    manager = UserFactory(username="max", role="manager")
    operator = UserFactory(username="olga", role="operator")
    alert = {"type": "sla.breached", "items": [{"ticket_id": 3, "metric": "first_response"}]}

    async def run():
        m, o = _communicator(manager), _communicator(operator)
        await m.connect()
        await o.connect()
        await _publish(alert, ["managers"])
        got = await m.receive_json_from(timeout=2)
        operator_quiet = await o.receive_nothing(timeout=0.3)
        await m.disconnect()
        await o.disconnect()
        return got, operator_quiet

    got, operator_quiet = async_to_sync(run)()
    assert got == alert
    assert operator_quiet


def test_operator_typing_reaches_the_web_chat_visitor():
    from tests.factories.tickets import ChannelFactory, CustomerIdentityFactory, TicketFactory

    anna = UserFactory(username="anna", first_name="Anna", role="operator")
    channel = ChannelFactory(kind="webchat")
    identity = CustomerIdentityFactory(channel=channel, external_id="visitor-1")
    ticket = TicketFactory(channel=channel, customer=identity.customer)

    async def run():
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
        visitor = await layer.new_channel()
        await layer.group_add(f"webchat.{channel.pk}.visitor-1", visitor)
        a = _communicator(anna)
        await a.connect()
        await a.send_json_to({"action": "watch", "ticket_id": ticket.pk})
        await a.send_json_to({"action": "presence", "ticket_id": ticket.pk, "state": "typing"})
        message = await asyncio.wait_for(layer.receive(visitor), timeout=3)
        await a.disconnect()
        return message

    message = async_to_sync(run)()
    assert "typing" in str(message)
    assert "Anna" in str(message)
