"""Delivery receipts from channels (WhatsApp statuses) applied to outbound messages."""

from __future__ import annotations

from django.db import transaction

from tickets.models import Channel, DeliveryStatus, Direction, Message
from tickets.services.events import message_publish

# How far a message has got; a receipt never moves a message back down this scale.
_RANK = {
    DeliveryStatus.QUEUED: 0,
    DeliveryStatus.SENDING: 0,
    DeliveryStatus.RETRYING: 0,
    DeliveryStatus.FAILED: 1,
    DeliveryStatus.SENT: 1,
    DeliveryStatus.DELIVERED: 2,
    DeliveryStatus.READ: 3,
}
RECEIPTS = {
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "failed": DeliveryStatus.FAILED,
}


def message_delivery_update(
    *, channel: Channel, external_id: str, status: str, error: str = ""
) -> Message | None:
    """Apply a channel's receipt (sent/delivered/read/failed) to our outbound message.

    Unknown ids (messages sent from elsewhere) and unknown statuses are ignored. A late
    "sent" or "delivered" after "read" changes nothing; "failed" only applies to a message
    not yet delivered, and a later "delivered"/"read" overrides a failure.
    """
    target = RECEIPTS.get(status)
    if target is None or not external_id:
        return None
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .select_related("ticket")
            .filter(channel=channel, external_id=external_id, direction=Direction.OUTBOUND)
            .first()
        )
        if message is None:
            return None
        if not _moves_forward(message, target=target, error=error):
            return message
        message.delivery_status = target
        message.delivery_error = error[:2000] if target == DeliveryStatus.FAILED else ""
        message.next_attempt_at = None
        message.save(update_fields=["delivery_status", "delivery_error", "next_attempt_at"])
        message_publish(message=message, event_type="message.updated")
    return message


def _moves_forward(message: Message, *, target: str, error: str) -> bool:
    current = message.delivery_status
    if target == DeliveryStatus.FAILED:
        if current == DeliveryStatus.FAILED:
            return message.delivery_error != error
        return _RANK.get(current, 0) < _RANK[DeliveryStatus.DELIVERED]
    if current == DeliveryStatus.FAILED:
        # Only proof of delivery overrides a failure; a late "sent" does not.
        return target != DeliveryStatus.SENT
    return _RANK[target] > _RANK.get(current, 0)
