"""The wire rules of outbound webhooks, free of the ORM: signature, headers, body, backoff.

Kept pure so the rules a receiver relies on are easy to test and to read in one place.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from datetime import datetime, timedelta

SIGNATURE_HEADER = "X-Helpdesk-Signature"
EVENT_HEADER = "X-Helpdesk-Event"
DELIVERY_HEADER = "X-Helpdesk-Delivery"
USER_AGENT = "Helpdesk-Webhooks/1"


def signature(secret: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of the exact body bytes, key = the subscription secret>`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, header: str) -> bool:
    return hmac.compare_digest(signature(secret, body), header or "")


def request_headers(*, secret: str, body: bytes, event: str, delivery_id: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature(secret, body),
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
    }


def render_body(*, delivery_id: str, event: str, created_at: datetime, data: dict) -> str:
    """The JSON body: {"id", "event", "created_at", "data"}; compact, keys in this order."""
    envelope = {
        "id": delivery_id,
        "event": event,
        "created_at": created_at.isoformat().replace("+00:00", "Z"),
        "data": data,
    }
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"), default=str)


def retry_delay(
    attempt: int, *, base: float, cap: float, rand: random.Random | None = None
) -> timedelta:
    """Exponential backoff with jitter after failed attempt number `attempt` (1-based).

    The nominal delay doubles each time (base, 2·base, 4·base, ... up to `cap`); the actual
    delay is drawn uniformly from its upper half, so receivers coming back after an outage
    are not hit by every retry in the same second.
    """
    nominal = min(base * 2 ** max(attempt - 1, 0), cap)
    draw = (rand or random).random()
    return timedelta(seconds=nominal / 2 + draw * nominal / 2)


def is_success(status_code: int) -> bool:
    return 200 <= status_code < 300


def should_disable(
    *,
    consecutive_failures: int,
    failing_since: datetime | None,
    now: datetime,
    min_failures: int,
    min_hours: float,
) -> bool:
    """A subscription is disabled once every attempt has failed for `min_hours` hours and at
    least `min_failures` attempts in a row (either limit 0 = that limit is not required)."""
    if consecutive_failures < max(min_failures, 1):
        return False
    if min_hours <= 0:
        return True
    return failing_since is not None and now - failing_since >= timedelta(hours=min_hours)
