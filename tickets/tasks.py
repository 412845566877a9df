"""Thin Celery tasks around ticket services."""

from celery import shared_task

from tickets.services import outbound


@shared_task(name="tickets.message_deliver", acks_late=True)
def message_deliver(*, message_id: int) -> None:
    outbound.message_deliver(message_id=message_id)


@shared_task(name="tickets.outbound_retry_due", expires=60)
def outbound_retry_due() -> int:
    ids = outbound.outbound_due_ids()
    for message_id in ids:
        message_deliver.delay(message_id=message_id)
    return len(ids)
