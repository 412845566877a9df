"""Channel credentials are write-only in the admin; a rotated webhook secret keeps verifying
until its grace period ends, then only the new one does."""

from __future__ import annotations

import datetime
import json

import pytest
import time_machine
from django.utils import timezone

from channels_in.adapters.base import SIGNATURE_HEADER, hmac_hex
from tests.factories.tickets import ChannelFactory
from tests.security.conftest import client_for
from tickets.models import Channel

SECRET = "current-secret-value-123"
BOT_TOKEN = "123456:bot-token-that-must-stay-hidden"


@pytest.fixture
def telegram(db):
    return ChannelFactory(
        kind="telegram", name="Bot", secret=SECRET, config={"bot_token": BOT_TOKEN, "lang": "en"}
    )


def test_admin_never_shows_channel_credentials(world, telegram):
    admin = client_for(world.users["admin"])
    html = admin.get(f"/admin/tickets/channel/{telegram.pk}/change/").content.decode()
    assert SECRET not in html
    assert BOT_TOKEN not in html
    assert "********" in html and "lang" in html
    listing = admin.get("/admin/tickets/channel/").content.decode()
    assert SECRET not in listing and BOT_TOKEN not in listing


def _change(admin, channel, **extra):
    data = {
        "kind": channel.kind,
        "name": channel.name,
        "config": json.dumps({"bot_token": "********", "lang": "ru"}),
        "is_active": "on",
        "created_at_0": channel.created_at.strftime("%Y-%m-%d"),
        "created_at_1": channel.created_at.strftime("%H:%M:%S"),
        **extra,
    }
    return admin.post(f"/admin/tickets/channel/{channel.pk}/change/", data)


def test_saving_with_the_mask_keeps_the_stored_credentials(world, telegram):
    admin = client_for(world.users["admin"])
    response = _change(admin, telegram)
    assert response.status_code == 302, response.content.decode()[:2000]
    telegram.refresh_from_db()
    assert telegram.config == {"bot_token": BOT_TOKEN, "lang": "ru"}
    assert telegram.secret == SECRET


def test_a_new_secret_replaces_the_old_one(world, telegram):
    admin = client_for(world.users["admin"])
    assert _change(admin, telegram, new_secret="brand-new-secret").status_code == 302
    telegram.refresh_from_db()
    assert telegram.secret == "brand-new-secret"


def test_a_channel_added_in_the_admin_gets_a_generated_secret(world):
    admin = client_for(world.users["admin"])
    response = admin.post(
        "/admin/tickets/channel/add/",
        {
            "kind": "generic",
            "name": "Bridge 2",
            "config": "{}",
            "is_active": "on",
            "created_at_0": "2026-01-01",
            "created_at_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    channel = Channel.objects.get(name="Bridge 2")
    assert len(channel.secret) >= 32


# --- rotation grace period ------------------------------------------------------------------


def _rotated(kind: str, **config) -> Channel:
    return ChannelFactory(
        kind=kind,
        secret="new-secret",
        previous_secret="old-secret",
        previous_secret_until=timezone.now() + datetime.timedelta(hours=1),
        config=config,
    )


def _post(client, channel, secret: str):
    if channel.kind == "telegram":
        body = json.dumps({"update_id": 1}).encode()
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
        content_type = "application/json"
    elif channel.kind == "whatsapp":
        body = json.dumps({"object": "whatsapp_business_account", "entry": []}).encode()
        headers = {"X-Hub-Signature-256": "sha256=" + hmac_hex(secret, body)}
        content_type = "application/json"
    elif channel.kind == "email":
        body = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nhello\r\n"
        headers = {SIGNATURE_HEADER: "sha256=" + hmac_hex(secret, body)}
        content_type = "message/rfc822"
    else:
        body = json.dumps({"external_user_id": "u1", "text": "hi"}).encode()
        headers = {SIGNATURE_HEADER: "sha256=" + hmac_hex(secret, body)}
        content_type = "application/json"
    return client.post(
        f"/webhooks/{channel.kind}/{channel.pk}/",
        data=body,
        content_type=content_type,
        headers=headers,
    )


@pytest.mark.parametrize("kind", ["generic", "email", "telegram", "whatsapp"])
def test_previous_secret_verifies_only_during_the_grace_period(client, db, kind):
    channel = _rotated(kind)
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        assert _post(client, channel, "new-secret").status_code != 403
        assert _post(client, channel, "old-secret").status_code != 403
        assert _post(client, channel, "never-the-secret").status_code == 403
    with time_machine.travel(now + datetime.timedelta(hours=2), tick=False):
        from channels_in.selectors import channel_cache_clear

        channel_cache_clear()
        assert _post(client, channel, "old-secret").status_code == 403
        assert _post(client, channel, "new-secret").status_code != 403


def test_without_a_rotation_only_the_secret_verifies(client, db):
    channel = ChannelFactory(kind="generic", secret="only-secret", previous_secret="")
    assert _post(client, channel, "only-secret").status_code != 403
    assert _post(client, channel, "").status_code == 403


@pytest.mark.parametrize("kind", ["generic", "telegram"])
def test_secret_rotated_in_another_process_is_honoured_at_once(client, db, kind):
    """The webhook view caches channels per process; a rotation written by another process
    (here: straight to the database, so this process's cache is stale) must not refuse the
    messenger's first request signed with the new secret."""
    channel = ChannelFactory(kind=kind, secret="old-secret", previous_secret="")
    assert _post(client, channel, "old-secret").status_code != 403  # now cached
    Channel.objects.filter(pk=channel.pk).update(secret="new-secret")
    assert _post(client, channel, "new-secret").status_code != 403
    assert _post(client, channel, "old-secret").status_code == 403
    assert _post(client, channel, "wrong").status_code == 403
