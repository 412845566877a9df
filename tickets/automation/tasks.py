"""Thin Celery tasks around automation services."""

from celery import shared_task

from tickets.rules.apply import rules_time_sweep


@shared_task(name="automation.rules_time_sweep", expires=300)
def rules_time_sweep_task() -> int:
    return rules_time_sweep()
