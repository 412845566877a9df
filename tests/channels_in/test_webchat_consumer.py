"""The widget's websocket: /ws/webchat/<channel id>/?token=... through the real ASGI stack."""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.core.cache import cache

from channels_in.adapters.webchat import visitor_token_issue
from channels_in.models import InboundEvent
from channels_in.webchat_services import webchat_ticket_visitors
from tests.factories.tickets import ChannelFactory, UserFactory
from tickets.models import Message, Ticket
from tickets.services import ticket_reply

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def application(monkeypatch):
    monkeypatch.setenv("HELPDESK_ASGI_TICKER", "0")
    from helpdesk.asgi import application

    return application


@pytest.fixture
def webchat(db):
    return ChannelFactory(kind="webchat", name="Site chat", secret="chat-secret", config={})


def communicator(application, channel, token, origin="https://shop.example"):
    headers = [(b"origin", origin.encode()), (b"host", b"desk.example")] if origin else []
    return WebsocketCommunicator(
        application, f"/ws/webchat/{channel.pk}/?token={token}", headers=headers
    )


def message(client_id="c-00000001", text="Hello from the widget"):
    return {"type": "message", "id": client_id, "text": text}


def test_visitor_sends_a_message_and_a_resend_is_dropped(application, webchat):
    token, visitor = visitor_token_issue(channel=webchat, name="Anna")

    async def run():
        ws = communicator(application, webchat, token)
        connected, _ = await ws.connect()
        await ws.send_json_to(message())
        first = await ws.receive_json_from(timeout=5)
        await ws.send_json_to(message())
        second = await ws.receive_json_from(timeout=5)
        await ws.disconnect()
        return connected, first, second

    connected, first, second = async_to_sync(run)()
    assert connected is True
    assert first == {"type": "ack", "id": "c-00000001", "status": "accepted"}
    assert second == {"type": "ack", "id": "c-00000001", "status": "duplicate"}
    assert InboundEvent.objects.count() == 1
    stored = Message.objects.get()
    assert stored.text == "Hello from the widget"
    assert stored.ticket.customer.name == "Anna"
    assert stored.ticket.customer.identities.get().external_id == visitor.id


@pytest.mark.parametrize("token", ["", "forged", "other-channel"])
def test_bad_or_foreign_token_is_refused(application, webchat, token):
    if token == "other-channel":
        other = ChannelFactory(kind="webchat", name="Other", secret="other-secret")
        token, _ = visitor_token_issue(channel=other)

    async def run():
        ws = communicator(application, webchat, token)
        connected, code = await ws.connect()
        return connected, code

    connected, code = async_to_sync(run)()
    assert connected is False
    assert code == 4403


def test_origin_outside_the_channel_list_is_refused(application, webchat):
    webchat.config = {"allowed_origins": ["https://shop.example"]}
    webchat.save()
    token, _ = visitor_token_issue(channel=webchat)

    async def run():
        results = []
        for origin in ("https://evil.example", "https://shop.example", "https://desk.example"):
            ws = communicator(application, webchat, token, origin=origin)
            connected, _ = await ws.connect()
            results.append(connected)
            if connected:
                await ws.disconnect()
        return results

    # evil refused; the listed site and the desk's own host accepted
    assert async_to_sync(run)() == [False, True, True]


def test_operators_socket_still_refuses_foreign_origins(application):
    async def run():
        ws = WebsocketCommunicator(
            application, "/ws/agent/", headers=[(b"origin", b"https://shop.example")]
        )
        connected, _ = await ws.connect()
        return connected

    assert async_to_sync(run)() is False


def test_operator_reply_and_typing_arrive_live(application, webchat):
    operator = UserFactory(username="olga", first_name="Olga", role="operator")
    token, _ = visitor_token_issue(channel=webchat)

    async def run():
        ws = communicator(application, webchat, token)
        await ws.connect()
        await ws.send_json_to(message())
        ack = await ws.receive_json_from(timeout=5)
        ticket = await sync_to_async(Ticket.objects.get)()

        # the visitor types: operators watching the ticket hear it
        layer = get_channel_layer()
        watcher = await layer.new_channel()
        await layer.group_add(f"ticket.{ticket.pk}", watcher)
        await ws.send_json_to({"type": "typing"})
        customer_typing = await layer.receive(watcher)

        # an operator types, then replies; an internal note never reaches the socket
        from channels_in.adapters.webchat import webchat_operator_typing

        visitors = await sync_to_async(webchat_ticket_visitors)(ticket=ticket)
        await sync_to_async(webchat_operator_typing)(
            channel_id=webchat.pk, visitor_ids=visitors, name="Olga"
        )
        typing = await ws.receive_json_from(timeout=5)
        await sync_to_async(ticket_reply)(
            ticket=ticket, author=operator, text="Internal only", internal=True
        )
        await sync_to_async(ticket_reply)(ticket=ticket, author=operator, text="We're on it!")
        reply = await ws.receive_json_from(timeout=5)
        nothing_else = await ws.receive_nothing(timeout=0.3)
        await ws.disconnect()
        return ack, customer_typing["event"], typing, reply, nothing_else

    ack, customer_typing, typing, reply, nothing_else = async_to_sync(run)()
    assert ack["status"] == "accepted"
    assert customer_typing["type"] == "customer.typing"
    assert typing == {"type": "typing", "author": "Olga"}
    assert reply["type"] == "message"
    assert reply["message"]["text"] == "We're on it!"
    assert reply["message"]["author"] == "Olga"
    assert nothing_else is True


def test_malformed_and_flooding_messages_get_errors(application, webchat):
    webchat.config = {"rate_limit_per_minute": 2}
    webchat.save()
    token, _ = visitor_token_issue(channel=webchat)

    async def run():
        ws = communicator(application, webchat, token)
        await ws.connect()
        await ws.send_json_to({"type": "message", "id": "c-00000001", "text": ""})
        bad = await ws.receive_json_from(timeout=5)
        await ws.send_to(text_data="not json")
        ignored = await ws.receive_nothing(timeout=0.2)
        answers = []
        for i in range(3):
            await ws.send_json_to(message(f"c-0000001{i}", f"m{i}"))
            answers.append(await ws.receive_json_from(timeout=5))
        await ws.disconnect()
        return bad, ignored, answers

    bad, ignored, answers = async_to_sync(run)()
    assert bad["type"] == "error" and bad["code"] == "payload_invalid"
    assert ignored is True
    assert [a["type"] for a in answers] == ["ack", "ack", "error"]
    assert answers[2]["code"] == "rate_limited"
    assert Message.objects.count() == 2
