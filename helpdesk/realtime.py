"""Publishing live events to websocket groups once the transaction commits.

Only services call `publish_on_commit`. Groups: `queue` (every operator), `team.<id>`,
`agent.<id>`, `ticket.<id>`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

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


def publish_on_commit(*, event: dict, groups: Iterable[str]) -> None:
    groups = list(groups)
    transaction.on_commit(lambda: publish(event=event, groups=groups))
