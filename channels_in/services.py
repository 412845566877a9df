"""Writes of the intake: channels, the raw journal, and processing journal rows."""

from __future__ import annotations

import logging
import secrets
import traceback
from contextlib import nullcontext

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from channels_in.attachment_limits import attachments_within_limits
from channels_in.models import EventStatus, InboundEvent
from channels_in.registry import ADAPTERS, adapter_for
from helpdesk.exceptions import ApplicationError
from tickets.inbound import DeliveryReceipt
from tickets.models import Channel
from tickets.services import message_delivery_update, receive

logger = logging.getLogger(__name__)

# Request headers worth keeping beside the body (never cookies or authorisation).
KEPT_HEADERS = ("Content-Type", "User-Agent", "X-Forwarded-For", "X-Request-Id")


def channel_webhook_url(channel: Channel) -> str:
    path = reverse("webhook", kwargs={"kind": channel.kind, "channel_id": channel.pk})
    return settings.PUBLIC_BASE_URL + path


def channel_create(
    *, kind: str, name: str, config: dict | None = None, secret: str = ""
) -> Channel:
    if kind not in ADAPTERS:
        supported = ", ".join(sorted(ADAPTERS))
        raise ApplicationError(f"Channel kind {kind!r} is not available. Supported: {supported}.")
    return Channel.objects.create(
        kind=kind,
        name=name.strip(),
        config=config or {},
        secret=secret or secrets.token_urlsafe(32),
    )


class ChannelInvalid(ApplicationError):
    code = "channel_invalid"


def channel_update(*, channel: Channel, values: dict, actor=None) -> Channel:
    """Rename, reconfigure, switch on or off. The secret changes only by rotation."""
    from helpdesk.audit.services import audit_record

    allowed = {"name", "config", "is_active"}
    unknown = set(values) - allowed
    if unknown:
        raise ChannelInvalid(f"Cannot change {', '.join(sorted(unknown))} here.")
    if "name" in values:
        values = {**values, "name": values["name"].strip()}
        if not values["name"]:
            raise ChannelInvalid("A channel needs a name.")
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(pk=channel.pk)
        changed = sorted(k for k, v in values.items() if getattr(channel, k) != v)
        for name, value in values.items():
            setattr(channel, name, value)
        channel.save(update_fields=[*values] or None)
        # Config keys only: values may hold tokens.
        audit_record(
            action="channel.changed",
            actor=actor,
            target=channel,
            data={"fields": changed},
        )
    return channel


def channel_secret_rotate(
    *,
    channel: Channel,
    actor=None,
    secret: str = "",
    grace_seconds: int | None = None,
    request=None,
) -> Channel:
    """Give the channel a new secret (generated unless given). The old one keeps verifying
    until `previous_secret_until` (CHANNEL_SECRET_GRACE_SECONDS by default), so a messenger
    or bridge still signing with it during the switch-over is not refused."""
    from helpdesk.audit.services import audit_record

    if grace_seconds is None:
        grace_seconds = settings.CHANNEL_SECRET_GRACE_SECONDS
    if grace_seconds < 0:
        raise ChannelInvalid("The grace period cannot be negative.")
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(pk=channel.pk)
        new = secret or secrets.token_urlsafe(32)
        if new == channel.secret:
            raise ChannelInvalid("The new secret must differ from the current one.")
        until = timezone.now() + timezone.timedelta(seconds=grace_seconds)
        channel.previous_secret = channel.secret if grace_seconds else ""
        channel.previous_secret_until = until if grace_seconds else None
        channel.secret = new
        channel.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
        audit_record(
            action="channel.secret_rotated",
            actor=actor,
            target=channel,
            data={"grace_seconds": grace_seconds, "generated": not secret},
            request=request,
        )
    return channel


def inbound_event_store(
    *, channel: Channel, body: bytes, headers: dict, dedupe_key: str, error: str = ""
) -> tuple[InboundEvent, bool]:
    """Journal one delivery in a single INSERT. Returns (event, created); a repeat is dropped."""
    kept = {k: v for k, v in headers.items() if k in KEPT_HEADERS}
    row = InboundEvent(
        channel=channel,
        dedupe_key=dedupe_key[:255],
        body=body,
        headers=kept,
        status=EventStatus.FAILED if error else EventStatus.RECEIVED,
        error=error,
    )
    try:
        # In autocommit (a webhook request) the INSERT is its own transaction: one round
        # trip. Inside a caller's transaction a savepoint keeps a duplicate from breaking it.
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            row.save(force_insert=True)
        event = row
    except IntegrityError:
        return InboundEvent.objects.get(channel=channel, dedupe_key=dedupe_key[:255]), False
    if not error:
        transaction.on_commit(lambda: _enqueue(event.pk))
    return event, True


def _enqueue(event_id: int) -> None:
    from channels_in.tasks import inbound_event_process

    try:
        inbound_event_process.delay(event_id=event_id)
    except Exception:
        # The broker is away: the row stays `received` and the requeue sweep picks it up.
        logger.exception("could not enqueue inbound event %s", event_id)


CHANNEL_OFF = (
    "The channel is switched off: this delivery is kept in the journal and not processed. "
    "Switch the channel on and reprocess it to make its messages tickets."
)


def inbound_event_process(*, event_id: int) -> InboundEvent:
    """Parse a journal row and hand each message to tickets.services.receive(). A row of a
    switched-off channel fails with `CHANNEL_OFF` (reprocess it after switching it on)."""
    event = InboundEvent.objects.select_related("channel").get(pk=event_id)
    if event.status not in (EventStatus.RECEIVED, EventStatus.FAILED):
        return event  # already done; a repeated task is a no-op
    # Two workers on the same row are harmless: receive() stores each message once.
    adapter = adapter_for(event.channel.kind)
    event.attempts += 1
    try:
        if adapter is None:
            raise ApplicationError(f"No adapter for channel kind {event.channel.kind!r}.")
        if not event.channel.is_active:
            # Accepted by a process whose channel cache had not yet seen the switch-off
            # (channels_in.selectors), or queued before it: kept here, not made a ticket.
            raise ApplicationError(CHANNEL_OFF)
        body = bytes(event.body)
        receipts = _receipts(adapter, body, event.channel)
        for receipt in receipts:
            message_delivery_update(
                channel=event.channel,
                external_id=receipt.external_id,
                status=receipt.status,
                error=receipt.error,
            )
        messages = adapter.parse(body=body, channel=event.channel, event_id=event.pk)
        for msg in messages:
            receive(msg=attachments_within_limits(msg))
    except Exception as exc:
        event.status = EventStatus.FAILED
        event.error = _describe(exc)
        logger.warning("inbound event %s failed: %s", event_id, event.error.splitlines()[0])
    else:
        event.status = EventStatus.PROCESSED if messages or receipts else EventStatus.IGNORED
        event.error = ""
    event.processed_at = timezone.now()
    event.save(update_fields=["status", "error", "attempts", "processed_at"])
    return event


def _receipts(adapter, body: bytes, channel: Channel) -> list[DeliveryReceipt]:
    """Delivery reports in the body, for adapters whose channel sends them (optional hook)."""
    parse_receipts = getattr(adapter, "parse_receipts", None)
    return parse_receipts(body=body, channel=channel) if parse_receipts else []


def _describe(exc: Exception) -> str:
    if isinstance(exc, ApplicationError):
        return exc.message
    return (
        "".join(traceback.format_exception_only(exc)).strip() + "\n" + traceback.format_exc(limit=8)
    )


def inbound_stale_ids(*, older_than_seconds: int = 60, limit: int = 500) -> list[int]:
    """Rows still `received` a while after arrival: their task was lost or never enqueued."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    return list(
        InboundEvent.objects.filter(status=EventStatus.RECEIVED, received_at__lte=cutoff)
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
