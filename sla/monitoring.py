"""Prometheus collector of the SLA engine: sweep runs and duration, events by kind.

Sweep runs are counted in the shared cache (Redis in production, so every beat and worker
adds to the same numbers; process memory in the embedded default, where the ticker runs in
the web process). SLA events are rows: counted by kind through the (kind, created_at) index.
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db.models import Count
from django.utils import timezone

from helpdesk.prometheus import Family
from sla.models import ClockStatus, SlaClock, SlaEvent

logger = logging.getLogger(__name__)

RUNS = "sla:sweep:runs"
SECONDS = "sla:sweep:seconds_total_ms"
LAST = "sla:sweep:last_seconds_ms"
LAST_AT = "sla:sweep:last_at"
KEEP = None  # counters never expire


def sweep_observed(*, seconds: float, at: float) -> None:
    """Count one finished sweep. Never raises: a cache outage must not fail the sweep."""
    try:
        millis = int(seconds * 1000)
        cache.add(RUNS, 0, timeout=KEEP)
        cache.add(SECONDS, 0, timeout=KEEP)
        cache.incr(RUNS)
        cache.incr(SECONDS, millis)
        cache.set_many({LAST: millis, LAST_AT: int(at)}, timeout=KEEP)
    except Exception:
        logger.warning("could not record the SLA sweep run in the cache", exc_info=True)


def collect() -> list[Family]:
    stored = cache.get_many([RUNS, SECONDS, LAST, LAST_AT])
    families = [
        Family("helpdesk_sla_sweep_runs_total", "counter", "SLA sweeps finished.").add(
            stored.get(RUNS, 0)
        ),
        Family("helpdesk_sla_sweep_seconds_total", "counter", "Time spent in SLA sweeps.").add(
            stored.get(SECONDS, 0) / 1000
        ),
        Family(
            "helpdesk_sla_sweep_last_duration_seconds", "gauge", "Duration of the last sweep."
        ).add(stored.get(LAST, 0) / 1000),
        Family(
            "helpdesk_sla_sweep_last_run_timestamp_seconds",
            "gauge",
            "Unix time the last sweep finished (0 before the first); alert when it is old.",
        ).add(stored.get(LAST_AT, 0)),
    ]
    events = Family(
        "helpdesk_sla_events_total",
        "counter",
        "SLA events recorded (warning, breached, escalated, met, late, stuck).",
    )
    rows = SlaEvent.objects.order_by().values_list("kind").annotate(n=Count("id"))
    for kind, n in sorted(rows.values_list("kind", "n")):
        events.add(n, kind=kind)
    running_due = Family(
        "helpdesk_sla_clocks_due", "gauge", "Running SLA clocks already past due (sweep lag)."
    )
    running_due.add(
        SlaClock.objects.filter(status=ClockStatus.RUNNING, due_at__lte=timezone.now()).count()
    )
    return [*families, events, running_due]
