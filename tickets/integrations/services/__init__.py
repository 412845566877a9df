"""Every write of the integrations app goes through these functions."""

from tickets.integrations.services.deliveries import (
    webhook_deliver,
    webhook_due_ids,
    webhook_ping,
    webhook_redeliver,
)
from tickets.integrations.services.events import (
    webhook_event_enqueue,
    webhook_updates_drop_for_new_ticket,
)
from tickets.integrations.services.failures import (
    subscription_failure_record,
    subscription_success_record,
)
from tickets.integrations.services.subscriptions import (
    webhook_secret_rotate,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_update,
)

__all__ = [
    "subscription_failure_record",
    "subscription_success_record",
    "webhook_deliver",
    "webhook_due_ids",
    "webhook_event_enqueue",
    "webhook_ping",
    "webhook_redeliver",
    "webhook_secret_rotate",
    "webhook_subscription_create",
    "webhook_subscription_delete",
    "webhook_subscription_update",
    "webhook_updates_drop_for_new_ticket",
]
