"""Thin Celery tasks around SLA services. `sla.sweep` runs on beat (or the ticker)."""

import time

from celery import shared_task

from sla import monitoring, services


@shared_task(name="sla.sweep", expires=60, soft_time_limit=120, time_limit=150)
def sla_sweep() -> dict:
    started = time.monotonic()
    result = services.sla_sweep()
    monitoring.sweep_observed(seconds=time.monotonic() - started, at=time.time())
    return {
        "warnings": result.warnings,
        "breaches": result.breaches,
        "escalations": result.escalations,
        "stuck": result.stuck,
    }


@shared_task(name="sla.notify", acks_late=True)
def sla_notify(*, event_ids: list[int]) -> int:
    return services.sla_notify(event_ids=event_ids)
