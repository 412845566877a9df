"""Publishing live events to websocket groups once the transaction commits.

Only services call `publish_on_commit`. Groups: `queue` (every operator), `team.<id>`,
`agent.<id>`, `ticket.<id>`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def publish(*, event: dict, groups: Iterable[str]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    send = async_to_sync(layer.group_send)
    for group in groups:
        try:
            send(group, {"type": "helpdesk.event", "event": event})
        except Exception:  # a live update must never break the write that caused it
            logger.exception("could not publish %s to %s", event.get("type"), group)


def publish_on_commit(
    *, event: dict, groups: Iterable[str], complete: Callable[[dict], dict] | None = None
) -> None:
    """Publish `event` once the transaction commits. `complete`, when given, runs then (after
    the commit) and returns the event to send: for values that a later step of the same
    transaction may still change (the assignee that routing picks after the message)."""
    groups = list(groups)

    def send() -> None:
        final = event
        if complete is not None:
            try:
                final = complete(event)
            except Exception:  # the event goes out as it is: the browser still hears of it
                logger.exception("could not complete %s", event.get("type"))
        publish(event=final, groups=groups)

    transaction.on_commit(send)
