"""Web chat over plain HTTP: visitor sessions, sending, history, origins, rate limits."""

import json

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.test import Client, override_settings

from channels_in.adapters.webchat import TOKEN_HEADER, WebchatAdapter, visitor_token_issue
from channels_in.models import EventStatus, InboundEvent
from tests.factories.tickets import ChannelFactory, CustomerFactory, UserFactory
from tickets.models import CustomerIdentity, DeliveryStatus, Message, Ticket
from tickets.services import ticket_reply

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def webchat(db):
    return ChannelFactory(kind="webchat", name="Site chat", secret="chat-secret", config={})


@pytest.fixture
def visitor_client():
    return Client(enforce_csrf_checks=True)


def start_session(client, channel, **profile):
    response = client.post(
        f"/webchat/{channel.pk}/session/", data=json.dumps(profile), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def send(client, channel, token, text="Hello", client_id="c-00000001", **headers):
    body = {"type": "message", "id": client_id, "text": text}
    return client.post(
        f"/webchat/{channel.pk}/messages/",
        data=json.dumps(body),
        content_type="application/json",
        headers={TOKEN_HEADER: token, **headers},
    )


def history(client, channel, token, after=0, **headers):
    return client.get(
        f"/webchat/{channel.pk}/messages/",
        {"after": after},
        headers={TOKEN_HEADER: token, **headers},
    )


def run_on_commit(django_capture_on_commit_callbacks, fn, *args, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return fn(*args, **kwargs)


# --- tokens -------------------------------------------------------------------------------


def test_session_issues_a_signed_token_for_this_channel_only(webchat, visitor_client):
    other = ChannelFactory(kind="webchat", name="Other chat", secret="other-secret")
    session = start_session(visitor_client, webchat, name="Anna")
    assert len(session["visitor_id"]) == 32

    assert history(visitor_client, webchat, session["token"]).status_code == 200
    refused = history(visitor_client, other, session["token"])
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "signature_invalid"
    assert send(visitor_client, other, session["token"]).status_code == 403
    assert not InboundEvent.objects.exists()


@pytest.mark.parametrize("token", ["", "garbage", "a" * 3000])
def test_missing_or_forged_token_is_refused(webchat, visitor_client, token):
    assert send(visitor_client, webchat, token).status_code == 403
    assert history(visitor_client, webchat, token).status_code == 403
    assert not InboundEvent.objects.exists()


def test_tampered_token_is_refused(webchat, visitor_client):
    token = start_session(visitor_client, webchat)["token"]
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert send(visitor_client, webchat, tampered).status_code == 403


def test_rotating_the_channel_secret_ends_visitor_sessions(webchat, visitor_client):
    token = start_session(visitor_client, webchat)["token"]
    webchat.secret = "rotated"
    webchat.save()
    from channels_in.selectors import channel_cache_clear

    channel_cache_clear()
    assert send(visitor_client, webchat, token).status_code == 403


def test_session_rejects_a_malformed_email(webchat, visitor_client):
    response = visitor_client.post(
        f"/webchat/{webchat.pk}/session/",
        data=json.dumps({"email": "not an email"}),
        content_type="application/json",
    )
    assert response.status_code == 400


def test_unknown_or_other_kind_channel_is_404(visitor_client, generic_channel):
    assert visitor_client.post(f"/webchat/{generic_channel.pk}/session/").status_code == 404
    assert visitor_client.post("/webchat/999999/session/").status_code == 404


# --- sending ------------------------------------------------------------------------------


def test_message_goes_through_the_journal_into_a_ticket(
    webchat, visitor_client, django_capture_on_commit_callbacks
):
    session = start_session(visitor_client, webchat, name="Anna Petrova", email="anna@example.com")
    response = run_on_commit(
        django_capture_on_commit_callbacks,
        send,
        visitor_client,
        webchat,
        session["token"],
        "Where is my order?",
    )

    assert response.status_code == 202
    assert response.json() == {"status": "accepted", "id": "c-00000001"}
    event = InboundEvent.objects.get()
    assert event.status == EventStatus.PROCESSED
    assert event.dedupe_key == f"msg:{session['visitor_id']}:c-00000001"
    assert json.loads(bytes(event.body))["message"]["text"] == "Where is my order?"
    ticket = Ticket.objects.get()
    assert ticket.channel == webchat
    assert ticket.customer.name == "Anna Petrova"
    identity = CustomerIdentity.objects.get()
    assert identity.external_id == session["visitor_id"]
    assert identity.username == "anna@example.com"
    message = ticket.messages.get()
    assert message.text == "Where is my order?"
    assert message.inbound_event_id == event.pk


def test_a_repeated_client_id_is_stored_once(
    webchat, visitor_client, django_capture_on_commit_callbacks
):
    token = start_session(visitor_client, webchat)["token"]
    first = run_on_commit(django_capture_on_commit_callbacks, send, visitor_client, webchat, token)
    again = run_on_commit(django_capture_on_commit_callbacks, send, visitor_client, webchat, token)

    assert first.status_code == 202
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert InboundEvent.objects.count() == 1
    assert Message.objects.count() == 1


def test_the_same_client_id_from_two_visitors_is_two_messages(
    webchat, django_capture_on_commit_callbacks
):
    for _ in range(2):
        client = Client()
        token = start_session(client, webchat)["token"]
        run_on_commit(django_capture_on_commit_callbacks, send, client, webchat, token)
    assert Message.objects.count() == 2
    assert Ticket.objects.count() == 2


def test_an_unverified_form_email_never_joins_an_existing_customer(
    webchat, visitor_client, django_capture_on_commit_callbacks
):
    victim = CustomerFactory(name="Victor", email="victor@example.com")
    token = start_session(visitor_client, webchat, email="victor@example.com")["token"]
    run_on_commit(django_capture_on_commit_callbacks, send, visitor_client, webchat, token)

    ticket = Ticket.objects.get()
    assert ticket.customer != victim
    assert ticket.customer.name == "victor@example.com"


@pytest.mark.parametrize(
    "body",
    [
        {"type": "message", "text": "no id"},
        {"type": "message", "id": "short", "text": "id too short"},
        {"type": "message", "id": "c-00000001", "text": "   "},
        {"type": "message", "id": "c-00000001", "text": "x" * 4001},
        {"type": "message", "id": "bad id with spaces", "text": "hi"},
        ["not", "an", "object"],
    ],
)
def test_malformed_messages_are_refused_and_not_stored(webchat, visitor_client, body):
    token = start_session(visitor_client, webchat)["token"]
    response = visitor_client.post(
        f"/webchat/{webchat.pk}/messages/",
        data=json.dumps(body),
        content_type="application/json",
        headers={TOKEN_HEADER: token},
    )
    assert response.status_code == 400
    assert not InboundEvent.objects.exists()


def test_webhook_path_only_accepts_an_envelope_about_the_token_visitor(webchat):
    token, _visitor = visitor_token_issue(channel=webchat)
    _, other = visitor_token_issue(channel=webchat)
    body = {"visitor": {"id": other.id}, "message": {"id": "c-00000001", "text": "spoof"}}
    response = Client().post(
        f"/webhooks/webchat/{webchat.pk}/",
        data=json.dumps(body),
        content_type="application/json",
        headers={TOKEN_HEADER: token},
    )
    assert response.status_code == 403
    assert not InboundEvent.objects.exists()


# --- history ------------------------------------------------------------------------------


def test_history_shows_only_this_visitors_public_messages(
    webchat, visitor_client, django_capture_on_commit_callbacks
):
    operator = UserFactory(username="olga", first_name="Olga", last_name="Secret", role="operator")
    session = start_session(visitor_client, webchat)
    token = session["token"]
    run_on_commit(
        django_capture_on_commit_callbacks, send, visitor_client, webchat, token, "<b>hi</b>"
    )
    ticket = Ticket.objects.get()
    run_on_commit(
        django_capture_on_commit_callbacks,
        ticket_reply,
        ticket=ticket,
        author=operator,
        text="Internal: customer is a VIP",
        internal=True,
    )
    reply = run_on_commit(
        django_capture_on_commit_callbacks,
        ticket_reply,
        ticket=ticket,
        author=operator,
        text="Hello! <script>alert(1)</script>",
    )
    # someone else's conversation on the same channel
    stranger = Client()
    stranger_token = start_session(stranger, webchat)["token"]
    run_on_commit(
        django_capture_on_commit_callbacks, send, stranger, webchat, stranger_token, "private"
    )

    response = history(visitor_client, webchat, token)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    raw = response.content.decode()
    assert "Internal" not in raw and "VIP" not in raw
    assert "private" not in raw
    assert "Secret" not in raw  # operators' surnames stay inside
    assert "<" not in raw and "\\u003cscript\\u003e" in raw
    items = response.json()["messages"]
    assert [(m["direction"], m["text"]) for m in items] == [
        ("in", "<b>hi</b>"),
        ("out", "Hello! <script>alert(1)</script>"),
    ]
    assert items[0]["client_id"] == "c-00000001"
    assert items[1]["author"] == "Olga"

    later = history(visitor_client, webchat, token, after=items[0]["id"]).json()["messages"]
    assert [m["id"] for m in later] == [reply.pk]
    assert history(stranger, webchat, stranger_token).json()["messages"][0]["text"] == "private"


def test_history_of_a_new_visitor_is_empty(webchat, visitor_client):
    token = start_session(visitor_client, webchat)["token"]
    assert history(visitor_client, webchat, token).json() == {"messages": []}


# --- replies go out over the channel layer --------------------------------------------------


def test_operator_reply_is_published_to_the_visitor_group(
    webchat, visitor_client, django_capture_on_commit_callbacks
):
    operator = UserFactory(username="olga", first_name="Olga", role="operator")
    session = start_session(visitor_client, webchat)
    run_on_commit(
        django_capture_on_commit_callbacks, send, visitor_client, webchat, session["token"]
    )
    ticket = Ticket.objects.get()
    layer = get_channel_layer()
    group = f"webchat.{webchat.pk}.{session['visitor_id']}"

    async def listen():
        name = await layer.new_channel()
        await layer.group_add(group, name)
        return name

    channel_name = async_to_sync(listen)()
    reply = run_on_commit(
        django_capture_on_commit_callbacks, ticket_reply, ticket=ticket, author=operator, text="Hi!"
    )
    received = async_to_sync(layer.receive)(channel_name)

    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT
    assert reply.external_id == f"webchat:{reply.pk}"
    event = received["event"]
    assert event["type"] == "message"
    assert event["message"]["text"] == "Hi!"
    assert event["message"]["direction"] == "out"
    assert event["message"]["author"] == "Olga"


def test_reply_without_a_visitor_fails_without_retrying(webchat):
    from tests.factories.tickets import TicketFactory

    ticket = TicketFactory(channel=webchat)
    message = Message(ticket=ticket, channel=webchat, direction="out", text="x")
    from helpdesk.exceptions import DeliveryError

    with pytest.raises(DeliveryError) as caught:
        WebchatAdapter().send(message)
    assert caught.value.retryable is False


def test_operator_typing_reaches_the_visitor(
    webchat, visitor_client, operator_client, django_capture_on_commit_callbacks
):
    session = start_session(visitor_client, webchat)
    run_on_commit(
        django_capture_on_commit_callbacks, send, visitor_client, webchat, session["token"]
    )
    ticket = Ticket.objects.get()
    layer = get_channel_layer()

    async def listen():
        name = await layer.new_channel()
        await layer.group_add(f"webchat.{webchat.pk}.{session['visitor_id']}", name)
        return name

    channel_name = async_to_sync(listen)()
    response = operator_client.post(f"/webchat/typing/{ticket.pk}/")
    assert response.json() == {"status": "ok", "visitors": 1}
    assert async_to_sync(layer.receive)(channel_name)["event"]["type"] == "typing"
    assert Client().post(f"/webchat/typing/{ticket.pk}/").status_code == 302


# --- cross-origin ---------------------------------------------------------------------------


def test_cors_allows_any_site_when_no_origins_are_listed(webchat, visitor_client):
    response = visitor_client.options(
        f"/webchat/{webchat.pk}/messages/", headers={"Origin": "https://shop.example"}
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "https://shop.example"
    assert TOKEN_HEADER in response["Access-Control-Allow-Headers"]


def test_only_listed_origins_may_use_the_chat(webchat, visitor_client):
    webchat.config = {"allowed_origins": ["https://shop.example"]}
    webchat.save()
    token, _ = visitor_token_issue(channel=webchat)

    allowed = send(visitor_client, webchat, token, Origin="https://SHOP.example:443")
    assert allowed.status_code == 202
    assert allowed["Access-Control-Allow-Origin"] == "https://SHOP.example:443"

    refused = send(visitor_client, webchat, token, "x", "c-00000002", Origin="https://evil.example")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "origin_refused"
    assert "Access-Control-Allow-Origin" not in refused
    preflight = visitor_client.options(
        f"/webchat/{webchat.pk}/session/", headers={"Origin": "https://evil.example"}
    )
    assert preflight.status_code == 403
    assert InboundEvent.objects.count() == 1
    # the desk's own pages (the demo) always may
    assert send(visitor_client, webchat, token, "y", "c-00000003", Origin="http://testserver")
    assert InboundEvent.objects.count() == 2


# --- rate limit ------------------------------------------------------------------------------


def test_a_page_cannot_flood_the_queue(webchat, visitor_client):
    webchat.config = {"rate_limit_per_minute": 3}
    webchat.save()
    token = start_session(visitor_client, webchat)["token"]
    codes = [
        send(visitor_client, webchat, token, "m", f"c-0000000{i}").status_code for i in range(5)
    ]
    assert codes == [202, 202, 202, 429, 429]
    limited = send(visitor_client, webchat, token, "m", "c-00000009")
    assert limited["Retry-After"] == "60"
    # a resend of a stored message is still acknowledged
    assert send(visitor_client, webchat, token, "m", "c-00000000").json()["status"] == "duplicate"
    # another visitor is not affected
    other = start_session(Client(), webchat)["token"]
    assert send(visitor_client, webchat, other).status_code == 202
    assert InboundEvent.objects.count() == 4


def test_session_creation_is_limited_per_address(webchat, settings):
    client = Client()
    for _ in range(30):
        start_session(client, webchat)

    def create(**headers):
        return client.post(
            f"/webchat/{webchat.pk}/session/",
            data="{}",
            content_type="application/json",
            headers=headers,
        )

    assert create().status_code == 429
    # Without our own proxy in front, a client-set X-Real-IP does not get round the limit.
    assert create(**{"X-Real-IP": "203.0.113.9"}).status_code == 429
    settings.BEHIND_PROXY = True
    assert create(**{"X-Real-IP": "203.0.113.9"}).status_code == 201


# --- admin side ------------------------------------------------------------------------------


def test_admin_creates_a_webchat_channel_through_the_api(admin_user):
    client = Client()
    client.force_login(admin_user)
    response = client.post(
        "/api/channels/",
        data={"kind": "webchat", "name": "Shop chat", "config": {"allowed_origins": []}},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "webchat"
    assert response.json()["secret"]


def test_demo_page_embeds_the_widget_with_one_tag(webchat):
    webchat.name = 'Shop "chat" <b>'
    webchat.save()
    response = Client().get(f"/webchat/demo/{webchat.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        f'<script src="http://testserver/static/webchat/widget.js" data-channel="{webchat.pk}"'
        in html
    )
    assert "<b>" not in html
    assert Client().get("/webchat/demo/999999/").status_code == 404


def test_a_message_is_kept_when_the_cache_is_unreachable(webchat, visitor_client):
    """Redis down: the rate limit cannot count, so it lets the message through to the
    journal instead of failing the request and losing the message."""
    token = start_session(visitor_client, webchat)["token"]
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }
    with override_settings(CACHES=unreachable):
        response = send(visitor_client, webchat, token, text="Are you there?")
    assert response.status_code in (200, 201, 202), response.content
    assert InboundEvent.objects.filter(channel=webchat).count() == 1
