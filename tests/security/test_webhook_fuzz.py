"""Property tests on every webhook endpoint: random and mutated payloads with valid
signatures never get a 5xx; each is either processed or kept in the journal with its error;
a failed delivery leaves no half-written message; errors are JSON with a code and message;
bodies over the channel kind's limit are refused with 413 before anything is read."""

from __future__ import annotations

import io
import json

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels_in.adapters.base import SIGNATURE_HEADER, hmac_hex
from channels_in.adapters.webchat import TOKEN_HEADER
from channels_in.models import EventStatus, InboundEvent
from channels_in.views import read_body
from tests.factories.tickets import ChannelFactory
from tickets.models import Message

pytestmark = pytest.mark.django_db
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- payload strategies --------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.text(alphabet="\x00\ud7ff\u202e<>&'\"\\", max_size=10),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def mutate(base: dict) -> st.SearchStrategy[dict]:
    """The base payload with some keys (at any depth) replaced by random values or dropped."""

    def paths(value, prefix=()):
        if isinstance(value, dict):
            for key, inner in value.items():
                yield (*prefix, key)
                yield from paths(inner, (*prefix, key))
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                yield (*prefix, index)
                yield from paths(inner, (*prefix, index))

    all_paths = list(paths(base))

    @st.composite
    def build(draw):
        payload = json.loads(json.dumps(base))
        for path in draw(st.lists(st.sampled_from(all_paths), min_size=1, max_size=4)):
            parent = payload
            try:
                for step in path[:-1]:
                    parent = parent[step]
                if draw(st.booleans()) and isinstance(parent, dict):
                    parent.pop(path[-1], None)
                else:
                    parent[path[-1]] = draw(json_values)
            except (KeyError, IndexError, TypeError):
                continue
        return payload

    return build()


def bodies(base: dict) -> st.SearchStrategy[bytes]:
    return st.one_of(
        mutate(base).map(lambda p: json.dumps(p).encode()),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=200),
        mutate(base).map(lambda p: json.dumps(p).encode()[: len(json.dumps(p)) // 2]),
    )


GENERIC = {
    "external_user_id": "u-1",
    "name": "Fuzz",
    "external_message_id": "m-1",
    "text": "hello",
    "sent_at": "2026-01-01T10:00:00Z",
    "email": "f@example.com",
    "attachments": [{"url": "https://example.com/a.png", "filename": "a.png"}],
}
TELEGRAM = {
    "update_id": 1,
    "message": {
        "message_id": 7,
        "date": 1767225600,
        "chat": {"id": 42, "type": "private", "first_name": "Fuzz"},
        "from": {"id": 42, "is_bot": False, "first_name": "Fuzz", "language_code": "ru"},
        "text": "hello",
        "photo": [{"file_id": "f1", "file_unique_id": "u1", "width": 1, "height": 1}],
    },
}
WHATSAPP = {
    "object": "whatsapp_business_account",
    "entry": [
        {
            "id": "WABA",
            "changes": [
                {
                    "field": "messages",
                    "value": {
                        "messaging_product": "whatsapp",
                        "metadata": {"phone_number_id": "1"},
                        "contacts": [{"profile": {"name": "Fuzz"}, "wa_id": "79001234567"}],
                        "messages": [
                            {
                                "from": "79001234567",
                                "id": "wamid.1",
                                "timestamp": "1767225600",
                                "type": "text",
                                "text": {"body": "hello"},
                            }
                        ],
                        "statuses": [{"id": "wamid.x", "status": "read", "timestamp": "1"}],
                    },
                }
            ],
        }
    ],
}
MAIL = (
    b"From: Fuzz <fuzz@example.com>\r\nTo: support@example.com\r\nSubject: =?utf-8?q?hi?=\r\n"
    b"Message-ID: <fuzz@example.com>\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\n'
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n--B\r\n"
    b'Content-Type: application/pdf; name="a.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
    b"JVBERi0=\r\n--B--\r\n"
)


def mail_bodies() -> st.SearchStrategy[bytes]:
    @st.composite
    def spliced(draw):
        raw = bytearray(MAIL)
        for _ in range(draw(st.integers(1, 6))):
            at = draw(st.integers(0, len(raw)))
            cut = draw(st.integers(0, 20))
            raw[at : at + cut] = draw(
                st.one_of(
                    st.binary(max_size=30),
                    st.sampled_from(
                        [b"\r\n", b"--B", b"--B--", b"=?", b"?=", b"\x00", b"\xff\xfe", b": "]
                    ),
                )
            )
        return bytes(raw)

    return st.one_of(spliced(), st.binary(min_size=1, max_size=300))


# --- the checks ----------------------------------------------------------------------------


def check(response, channel) -> None:
    """The properties every webhook answer must have."""
    assert response.status_code < 500, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    data = response.json()
    if response.status_code >= 400:
        assert set(data["error"]) >= {"code", "message"}, data
        assert data["error"]["message"]
    event_id = data.get("event_id")
    if event_id is None:
        assert response.status_code != 200
        return
    event = InboundEvent.objects.get(pk=event_id, channel=channel)
    assert event.status != EventStatus.RECEIVED, "processing ran (eager) and left a status"
    if event.status == EventStatus.FAILED:
        assert event.error, "a failed journal row keeps its error"
        # Nothing half-written: no message points at a delivery that failed.
        assert not Message.objects.filter(inbound_event_id=event.pk).exists()


@pytest.fixture
def signed(client, django_capture_on_commit_callbacks):
    def post(kind: str, channel, body: bytes, headers: dict, content_type="application/json"):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                f"/webhooks/{kind}/{channel.pk}/",
                data=body,
                content_type=content_type,
                headers=headers,
            )

    return post


def hmac_header(secret: str, body: bytes) -> dict:
    return {SIGNATURE_HEADER: "sha256=" + hmac_hex(secret, body)}


@FUZZ
@given(body=bodies(GENERIC))
def test_generic_webhook(signed, body):
    channel = ChannelFactory(kind="generic", secret="g")
    check(signed("generic", channel, body, hmac_header("g", body)), channel)


@FUZZ
@given(body=bodies(TELEGRAM))
def test_telegram_webhook(signed, body):
    channel = ChannelFactory(kind="telegram", secret="t")
    headers = {"X-Telegram-Bot-Api-Secret-Token": "t"}
    check(signed("telegram", channel, body, headers), channel)


@FUZZ
@given(body=bodies(WHATSAPP))
def test_whatsapp_webhook(signed, body):
    channel = ChannelFactory(kind="whatsapp", secret="w", config={"verify_token": "v"})
    headers = {"X-Hub-Signature-256": "sha256=" + hmac_hex("w", body)}
    check(signed("whatsapp", channel, body, headers), channel)


@FUZZ
@given(body=mail_bodies())
def test_email_webhook(signed, body):
    channel = ChannelFactory(kind="email", secret="e", config={"from_address": "s@example.com"})
    response = signed("email", channel, body, hmac_header("e", body), "message/rfc822")
    check(response, channel)


@FUZZ
@given(
    content=st.one_of(mutate({"type": "message", "id": "c-00000001", "text": "hi"}), json_values)
)
def test_webchat_http(django_capture_on_commit_callbacks, content):
    cache.clear()  # the per-visitor rate limit is not what this test is about
    channel = ChannelFactory(kind="webchat", secret="c", config={})
    client = Client()
    session = client.post(
        f"/webchat/{channel.pk}/session/", data={}, content_type="application/json"
    )
    assert session.status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/webchat/{channel.pk}/messages/",
            data=json.dumps(content).encode(),
            content_type="application/json",
            headers={TOKEN_HEADER: session.json()["token"]},
        )
    assert response.status_code < 500, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    if response.status_code >= 400:
        assert set(response.json()["error"]) >= {"code", "message"}
        assert not InboundEvent.objects.filter(channel=channel).exists()
        return
    event = InboundEvent.objects.filter(channel=channel).get()
    assert event.status != EventStatus.RECEIVED
    if event.status == EventStatus.FAILED:
        assert event.error
        assert not Message.objects.filter(inbound_event_id=event.pk).exists()


# --- size limits ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["generic", "telegram", "whatsapp", "email"])
def test_a_body_over_the_kind_limit_is_413_before_verification(client, settings, kind):
    settings.WEBHOOK_MAX_BODY_BY_KIND = {**settings.WEBHOOK_MAX_BODY_BY_KIND, kind: 1000}
    channel = ChannelFactory(kind=kind, secret="s", config={"verify_token": "v"})
    response = client.post(
        f"/webhooks/{kind}/{channel.pk}/",
        data=b"{" + b" " * 2000 + b"}",
        content_type="application/json",
        headers={SIGNATURE_HEADER: "sha256=not-even-checked"},
    )
    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "too_large",
        "message": f"The body exceeds the {kind} webhook limit of 1000 bytes.",
        "limit": 1000,
    }
    assert not InboundEvent.objects.exists()


def test_every_kind_has_a_limit_no_larger_than_the_global_one(settings):
    for kind in ("generic", "telegram", "whatsapp", "email"):
        assert 0 < settings.WEBHOOK_MAX_BODY_BY_KIND[kind] <= settings.WEBHOOK_MAX_BODY


class FakeRequest:
    """A request whose body arrives without Content-Length (a chunked upload)."""

    def __init__(self, body: bytes, length: str | None = None) -> None:
        self.stream = io.BytesIO(body)
        self.headers = {"Content-Length": length} if length is not None else {}
        self.read_bytes = 0

    def read(self, size: int) -> bytes:
        chunk = self.stream.read(size)
        self.read_bytes += len(chunk)
        return chunk


def test_an_undeclared_body_is_cut_off_as_soon_as_it_passes_the_limit():
    request = FakeRequest(b"x" * 1_000_000)
    assert read_body(request, limit=100_000) is False
    assert request.read_bytes <= 100_000 + 64 * 1024  # stopped within one chunk of the limit


def test_a_declared_length_over_the_limit_is_refused_before_reading():
    request = FakeRequest(b"x" * 10, length="500000")
    assert read_body(request, limit=1000) is False
    assert request.read_bytes == 0


def test_a_body_within_the_limit_is_read_whole():
    request = FakeRequest(b"y" * 5000)
    assert read_body(request, limit=5000) is True
    assert request._body == b"y" * 5000
