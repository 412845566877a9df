"""Shared fixtures: users per role, a generic channel, and signed webhook posts."""

import json

import pytest
from django.conf import settings
from django.test import Client

from channels_in.adapters.base import SIGNATURE_HEADER, hmac_hex
from tests.factories.tickets import ChannelFactory, UserFactory

# Importing helpdesk.asgi (the websocket tests do) would start the embedded ticker, whose
# sweeps would then run against the test database from a background thread. Tests call the
# periodic tasks themselves.
settings.TICKER_ENABLED = False


@pytest.fixture(autouse=True)
def _eager_tasks(settings):
    """Run Celery tasks in the test process, also when REDIS_URL points at a real broker.

    The Redis channel layer and cache stay real on the PostgreSQL + Redis run.
    """
    from helpdesk.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fresh_channel_cache():
    """Channel ids are reused between tests; the webhook's channel cache must not leak."""
    from channels_in.selectors import channel_cache_clear

    channel_cache_clear()
    yield
    channel_cache_clear()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def operator(db):
    return UserFactory(username="olga", role="operator")


@pytest.fixture
def manager(db):
    return UserFactory(username="max", role="manager")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="ada", role="admin")


@pytest.fixture
def operator_client(operator):
    client = Client()
    client.force_login(operator)
    return client


@pytest.fixture
def generic_channel(db):
    return ChannelFactory(kind="generic", name="Bridge", secret="bridge-secret")


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac_hex(secret, body)


@pytest.fixture
def post_generic(client, django_capture_on_commit_callbacks):
    """POST a signed generic webhook and run what it enqueues; returns the response."""

    def _post(channel, payload, *, secret=None, raw: bytes | None = None):
        body = raw if raw is not None else json.dumps(payload).encode()
        headers = {SIGNATURE_HEADER: sign(secret or channel.secret, body)}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                f"/webhooks/generic/{channel.pk}/",
                data=body,
                content_type="application/json",
                headers=headers,
            )

    return _post
