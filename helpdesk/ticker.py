"""The in-process ticker: Celery beat for the embedded default.

It reads the same CELERY_BEAT_SCHEDULE that beat reads in production and calls each task
in a daemon thread at its interval, so periodic work (SLA sweeps, retries, polling) runs on
one machine with no Redis and no beat process.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

logger = logging.getLogger(__name__)

_started = threading.Event()


@dataclass
class Entry:
    name: str
    task_name: str
    interval: float
    next_run: float


def schedule_entries(now: float) -> list[Entry]:
    entries = []
    for name, spec in settings.CELERY_BEAT_SCHEDULE.items():
        interval = spec["schedule"]
        if not isinstance(interval, int | float):
            interval = interval.run_every.total_seconds()
        entries.append(Entry(name, spec["task"], float(interval), now + float(interval)))
    return entries


def run_due(entries: list[Entry], now: float, call: Callable[[str], None]) -> None:
    """Call every entry whose time has come and schedule its next run."""
    for entry in entries:
        if entry.next_run <= now:
            entry.next_run = now + entry.interval
            try:
                call(entry.task_name)
            except Exception:
                logger.exception("periodic task %s failed", entry.task_name)


def call_task(task_name: str) -> None:
    from helpdesk.celery import app

    app.tasks[task_name].apply()


def prepare() -> list[Entry]:
    """Register every app's tasks (Celery imports them lazily) and read the schedule."""
    from helpdesk.celery import app

    app.loader.import_default_modules()
    return schedule_entries(time.monotonic())


def _loop(stop: threading.Event) -> None:
    from django.db import close_old_connections

    entries = prepare()
    while not stop.wait(1.0):
        run_due(entries, time.monotonic(), call_task)
        close_old_connections()


def start() -> threading.Event | None:
    """Start the ticker once per process; returns the stop event, or None if already running."""
    if _started.is_set():
        return None
    _started.set()
    stop = threading.Event()
    threading.Thread(target=_loop, args=(stop,), name="helpdesk-ticker", daemon=True).start()
    logger.info("in-process ticker started (%d periodic tasks)", len(settings.CELERY_BEAT_SCHEDULE))
    return stop
