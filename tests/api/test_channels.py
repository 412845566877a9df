"""Channels through the API: the secret shown only when set, rotation with a grace period."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from helpdesk.audit.models import AuditEntry
from tests.api.conftest import client_for
from tests.conftest import sign
from tickets.models import Channel, Message

pytestmark = pytest.mark.django_db


def test_the_secret_is_shown_on_create_and_never_listed(users, world):
    admin = client_for(users["admin"])
    created = admin.post("/api/channels/", {"kind": "generic", "name": "SMS"}, format="json")
    assert created.status_code == 201 and len(created.json()["secret"]) >= 32
    channel_id = created.json()["id"]
    for body in (
        admin.get(f"/api/channels/{channel_id}/").json(),
        *admin.get("/api/channels/").json()["results"],
    ):
        assert "secret" not in body and "previous_secret" not in body
    changed = admin.patch(
        f"/api/channels/{channel_id}/", {"name": "SMS gateway", "is_active": False}, format="json"
    )
    assert changed.status_code == 200 and "secret" not in changed.json()
    assert changed.json()["name"] == "SMS gateway" and changed.json()["is_active"] is False
    audit = AuditEntry.objects.get(action="channel.changed")
    assert audit.data == {"fields": ["is_active", "name"]}


def _post(client, channel_id: int, secret: str, n: int):
    body = json.dumps(
        {"external_user_id": "u1", "external_message_id": f"m{n}", "text": f"hello {n}"}
    ).encode()
    return client.post(
        f"/webhooks/generic/{channel_id}/",
        data=body,
        content_type="application/json",
        headers={"X-Helpdesk-Signature": sign(secret, body)},
    )


def test_rotation_keeps_the_old_secret_valid_for_the_grace_period(
    users, world, client, django_capture_on_commit_callbacks
):
    admin = client_for(users["admin"])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        rotated = admin.post(
            f"/api/channels/{world.channel.pk}/rotate-secret/", {"grace_seconds": 3600}
        )
    assert rotated.status_code == 200, rotated.content
    new = rotated.json()["secret"]
    assert new != "bridge-secret"
    channel = Channel.objects.get(pk=world.channel.pk)
    assert channel.previous_secret == "bridge-secret"
    assert channel.previous_secret_until == start + timedelta(hours=1)
    entry = AuditEntry.objects.get(action="channel.secret_rotated")
    assert entry.actor == users["admin"] and "bridge-secret" not in json.dumps(entry.data)

    with django_capture_on_commit_callbacks(execute=True):
        with time_machine.travel(start + timedelta(minutes=59), tick=False):
            assert _post(client, channel.pk, new, 1).status_code == 200
            assert _post(client, channel.pk, "bridge-secret", 2).status_code == 200
        with time_machine.travel(start + timedelta(hours=1, seconds=1), tick=False):
            assert _post(client, channel.pk, new, 3).status_code == 200
            assert _post(client, channel.pk, "bridge-secret", 4).status_code == 403
    texts = set(Message.objects.filter(channel=channel).values_list("text", flat=True))
    assert {"hello 1", "hello 2", "hello 3"} <= texts and "hello 4" not in texts


def test_rotation_refuses_the_same_secret(users, world):
    admin = client_for(users["admin"])
    response = admin.post(
        f"/api/channels/{world.channel.pk}/rotate-secret/", {"secret": "bridge-secret"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "channel_invalid"


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "generic", "name": "SMS", "config": {"callback_url": "http://x\u0000y"}},
        {"kind": "generic", "name": "SMS", "config": {"k\u0000": 1}},
        {"kind": "generic", "name": "SMS", "config": {"nested": [{"a": ["\u0000"]}]}},
    ],
)
def test_nul_characters_in_free_form_json_are_a_400_and_store_nothing(users, world, body):
    """PostgreSQL stores no NUL in text or JSON; the API refuses it before any write."""
    admin = client_for(users["admin"])
    before = Channel.objects.count()
    response = admin.post("/api/channels/", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
    assert Channel.objects.count() == before
