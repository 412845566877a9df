"""Periodic work of the metrics app."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="metrics.rollup_refresh", expires=3600)
def rollup_refresh() -> int:
    """Rebuild the rollup days marked as changed and any unbuilt day up to yesterday."""
    from metrics.rollup import rollup_refresh as refresh

    return refresh()
