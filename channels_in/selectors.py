"""Reads of the intake."""

from __future__ import annotations

import time

from tickets.models import Channel

# Webhook lookups happen on every delivery; channels change rarely. A short per-process
# cache saves a query per request; a deactivation applies within TTL. A request that fails
# verification against the cached row is checked once more against a fresh read, so a
# secret rotated in another process is honoured at once.
CHANNEL_CACHE_TTL = 30.0
_cache: dict[tuple[str, int], tuple[float, Channel | None]] = {}


def channel_for_webhook(*, kind: str, channel_id: int, fresh: bool = False) -> Channel | None:
    key = (kind, channel_id)
    now = time.monotonic()
    hit = _cache.get(key)
    if not fresh and hit is not None and hit[0] > now:
        return hit[1]
    channel = Channel.objects.filter(pk=channel_id, kind=kind, is_active=True).first()
    _cache[key] = (now + CHANNEL_CACHE_TTL, channel)
    return channel


def channel_cache_clear() -> None:
    _cache.clear()
