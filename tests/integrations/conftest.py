"""Webhook fixtures: a real local receiver, subscriptions, and running what commits enqueue."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from tests.http_sink import Sink
from tickets.integrations.models import EventType
from tickets.integrations.services import webhook_subscription_create

ALL_EVENTS = list(EventType.values)


@pytest.fixture
def sink():
    with Sink() as receiver:
        yield receiver


@pytest.fixture
def subscribe(db, admin_user):
    def _subscribe(url: str, events=None, **kw):
        return webhook_subscription_create(
            url=url, event_types=events or ALL_EVENTS, created_by=admin_user, **kw
        )

    return _subscribe


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a block as one committed transaction: on-commit sends happen at its end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def verify(secret: str, request: dict) -> dict:
    """What a receiver does: check the signature over the raw body, then parse it."""
    body = request["body"]
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request["headers"]["X-Helpdesk-Signature"], expected)
    assert request["headers"]["Content-Type"] == "application/json"
    payload = json.loads(body)
    assert request["headers"]["X-Helpdesk-Event"] == payload["event"]
    assert request["headers"]["X-Helpdesk-Delivery"] == payload["id"]
    assert set(payload) == {"id", "event", "created_at", "data"}
    return payload


def received(sink: Sink, secret: str) -> list[dict]:
    return [verify(secret, r) for r in sink.requests]
