"""Thin Celery tasks around the intake services."""

from celery import shared_task

from channels_in import services


@shared_task(name="channels_in.inbound_event_process", acks_late=True)
def inbound_event_process(*, event_id: int) -> None:
    services.inbound_event_process(event_id=event_id)


@shared_task(name="channels_in.inbound_requeue_stale", expires=120)
def inbound_requeue_stale() -> int:
    ids = services.inbound_stale_ids()
    for event_id in ids:
        inbound_event_process.delay(event_id=event_id)
    return len(ids)
