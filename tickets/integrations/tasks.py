"""Thin Celery tasks around the webhook services. The retry sweep runs on beat (or the ticker)."""

from celery import shared_task

from tickets.integrations import services


@shared_task(name="integrations.webhook_deliver", acks_late=True)
def webhook_deliver(*, delivery_id: str) -> None:
    services.webhook_deliver(delivery_id=delivery_id)


@shared_task(name="integrations.webhooks_retry_due", expires=60)
def webhooks_retry_due() -> int:
    ids = services.webhook_due_ids()
    for delivery_id in ids:
        webhook_deliver.delay(delivery_id=delivery_id)
    return len(ids)
