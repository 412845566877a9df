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


@pytest.fixture(scope="session", autouse=True)
def _serial_live_server_on_sqlite():
    """On SQLite the test database lives in memory and the live server's request threads all
    share the test's one connection, so two overlapping browser requests (a form post and the
    work-session beacon of the page it leaves) would both BEGIN on it ("cannot start a
    transaction within a transaction"). There the live server answers one request at a time
    (Django's non-threaded server closes each connection, so no keep-alive blocks the rest).
    PostgreSQL runs keep the threaded server: each thread has its own connection."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        yield
        return
    from django.core.servers.basehttp import WSGIServer
    from django.test.testcases import LiveServerThread

    class SerialWSGIServer(WSGIServer):
        # Requests run in the live server's own thread, which already uses the shared
        # connection (LiveServerThread.run applies the override there).
        def __init__(self, *args, connections_override=None, **kwargs):
            super().__init__(*args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(LiveServerThread, "server_class", SerialWSGIServer)
        yield


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
