"""Web chat: the one write path (visitor message → journal) and the visitor's reads.

Used by the HTTP fallback (`webchat_views`) and the websocket consumer alike, so a message
goes through the same journal, dedupe and processing as any webhook delivery.
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache

from channels_in.adapters.webchat import (
    Visitor,
    WebchatAdapter,
    envelope,
    message_public,
    rate_limit_per_minute,
    visitor_token_issue,
)
from channels_in.models import InboundEvent
from channels_in.services import inbound_event_store
from helpdesk.exceptions import ApplicationError
from helpdesk.realtime import publish
from tickets.models import Channel, Message, Status, Ticket

logger = logging.getLogger(__name__)

HISTORY_LIMIT = 200
SESSIONS_PER_MINUTE_PER_ADDRESS = 30
_adapter = WebchatAdapter()


class RateLimited(ApplicationError):
    status_code = 429
    code = "rate_limited"


def _bump(bucket: str, window: int) -> int:
    cache.add(bucket, 0, timeout=window + 5)
    try:
        return cache.incr(bucket)
    except ValueError:  # expired between add and incr
        cache.set(bucket, 1, timeout=window + 5)
        return 1


def _count_in_window(key: str, limit: int, window: int = 60) -> None:
    """A fixed-window counter in the cache; raise RateLimited past `limit`.

    With the cache (Redis) unreachable the message is let through rather than lost: the
    journal and the requeue sweep carry it until Redis is back."""
    bucket = f"webchat:rl:{key}:{int(time.time() // window)}"
    try:
        count = _bump(bucket, window)
    except Exception:  # any cache backend failure
        logger.warning("web chat rate limit skipped: the cache is unreachable", exc_info=True)
        return
    if count > limit:
        raise RateLimited(
            "Too many messages at once; please wait a moment.", extra={"retry_after": window}
        )


def webchat_session_create(
    *, channel: Channel, name: str = "", email: str = "", address: str = ""
) -> tuple[str, Visitor]:
    if address:
        _count_in_window(f"session:{channel.pk}:{address}", SESSIONS_PER_MINUTE_PER_ADDRESS)
    return visitor_token_issue(channel=channel, name=name, email=email)


def webchat_message_accept(
    *, channel: Channel, visitor: Visitor, content: dict, headers: dict | None = None
) -> tuple[InboundEvent, bool]:
    """Journal one visitor message (then processed like any webhook delivery).

    Returns (event, created); a repeated client id is acknowledged and dropped.
    Raises PayloadInvalid for a malformed message and RateLimited when a page floods.
    """
    body = envelope(visitor=visitor, content=content)
    key = _adapter.dedupe_key(body=body, channel=channel)
    existing = InboundEvent.objects.filter(channel=channel, dedupe_key=key).first()
    if existing is not None:  # a resend after a lost ack: no new row, no rate-limit hit
        return existing, False
    _count_in_window(f"msg:{channel.pk}:{visitor.id}", rate_limit_per_minute(channel))
    return inbound_event_store(
        channel=channel,
        body=body,
        headers={"Content-Type": "application/json", **(headers or {})},
        dedupe_key=key,
    )


def _visitor_messages(*, channel: Channel, visitor_id: str):
    return Message.objects.filter(
        channel=channel,
        ticket__channel=channel,
        ticket__customer__identities__channel=channel,
        ticket__customer__identities__external_id=visitor_id,
        is_internal=False,
    )


def webchat_history(*, channel: Channel, visitor_id: str, after: int = 0) -> list[dict]:
    """This visitor's public messages on this channel, oldest first, after a message id."""
    rows = (
        _visitor_messages(channel=channel, visitor_id=visitor_id)
        .filter(pk__gt=after)
        .select_related("author")
        .order_by("pk")[:HISTORY_LIMIT]
    )
    return [message_public(m) for m in rows]


def webchat_open_ticket_id(*, channel: Channel, visitor_id: str) -> int | None:
    return (
        Ticket.objects.filter(
            channel=channel,
            customer__identities__channel=channel,
            customer__identities__external_id=visitor_id,
        )
        .exclude(status=Status.CLOSED)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )


def webchat_visitor_typing(*, channel: Channel, visitor_id: str) -> int | None:
    """Tell the operators watching the visitor's ticket that the visitor is typing."""
    ticket_id = webchat_open_ticket_id(channel=channel, visitor_id=visitor_id)
    if ticket_id is not None:
        publish(
            event={"type": "customer.typing", "ticket_id": ticket_id},
            groups=[f"ticket.{ticket_id}"],
        )
    return ticket_id


def webchat_ticket_visitors(*, ticket: Ticket) -> list[str]:
    """The visitor ids that see a web-chat ticket (for the operator's typing indicator)."""
    if ticket.channel.kind != "webchat":
        return []
    return list(
        ticket.customer.identities.filter(channel_id=ticket.channel_id).values_list(
            "external_id", flat=True
        )
    )


def webchat_operator_typing_on(*, ticket: Ticket, user) -> int:
    """An operator is typing on `ticket`: tell its web-chat visitors; returns how many."""
    from channels_in.adapters.webchat import webchat_operator_typing

    visitors = webchat_ticket_visitors(ticket=ticket)
    if visitors:
        name = user.first_name or user.get_username()
        webchat_operator_typing(channel_id=ticket.channel_id, visitor_ids=visitors, name=name)
    return len(visitors)
