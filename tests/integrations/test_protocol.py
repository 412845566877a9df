"""The wire rules, without a database: signature, body, backoff bounds, disabling."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import random

import pytest

from tickets.integrations import protocol

UTC = dt.UTC


def test_signature_is_hmac_sha256_of_the_exact_bytes():
    body = b'{"id":"1","event":"ping"}'
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert protocol.signature("s3cret", body) == f"sha256={expected}"
    assert protocol.signature_valid("s3cret", body, f"sha256={expected}")
    assert not protocol.signature_valid("s3cret", body + b" ", f"sha256={expected}")
    assert not protocol.signature_valid("other", body, f"sha256={expected}")
    assert not protocol.signature_valid("s3cret", body, "")


def test_headers_name_the_event_and_delivery():
    headers = protocol.request_headers(
        secret="k", body=b"{}", event="ticket.solved", delivery_id="d-1"
    )
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Helpdesk-Event"] == "ticket.solved"
    assert headers["X-Helpdesk-Delivery"] == "d-1"
    assert headers["X-Helpdesk-Signature"] == protocol.signature("k", b"{}")


def test_body_is_the_documented_envelope():
    at = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    body = protocol.render_body(delivery_id="abc", event="ping", created_at=at, data={"x": "é"})
    assert json.loads(body) == {
        "id": "abc",
        "event": "ping",
        "created_at": "2026-01-02T03:04:05Z",
        "data": {"x": "é"},
    }
    assert list(json.loads(body)) == ["id", "event", "created_at", "data"]


@pytest.mark.parametrize(
    ("attempt", "low", "high"),
    [(1, 15, 30), (2, 30, 60), (3, 60, 120), (5, 240, 480), (9, 1800, 3600), (30, 1800, 3600)],
)
def test_backoff_doubles_with_jitter_in_the_upper_half_and_is_capped(attempt, low, high):
    delays = [
        protocol.retry_delay(attempt, base=30, cap=3600, rand=random.Random(seed)).total_seconds()
        for seed in range(200)
    ]
    assert all(low <= d <= high for d in delays)
    assert max(delays) - min(delays) > (high - low) / 2  # really spread, not one value


T = dt.datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("failures", "since_hours", "min_failures", "min_hours", "disable"),
    [
        (19, 30, 20, 24, False),  # not enough failures
        (20, 23, 20, 24, False),  # not long enough
        (20, 24, 20, 24, True),
        (5, 1, 5, 0, True),  # by count alone
        (1, 24, 0, 24, True),  # by time alone
        (0, 48, 0, 24, False),  # no failure: never
    ],
)
def test_when_a_subscription_is_disabled(failures, since_hours, min_failures, min_hours, disable):
    now = T + dt.timedelta(hours=since_hours)
    assert (
        protocol.should_disable(
            consecutive_failures=failures,
            failing_since=T,
            now=now,
            min_failures=min_failures,
            min_hours=min_hours,
        )
        is disable
    )
