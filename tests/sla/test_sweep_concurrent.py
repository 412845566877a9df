"""Two sweeps at once on PostgreSQL: every due clock is breached and notified exactly once."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from sla.models import ClockStatus, SlaClock, SlaEvent
from sla.services import sla_sweep
from tests.factories.sla import SlaPolicyFactory
from tests.factories.tickets import TicketFactory
from tickets.models import TicketEvent

NOW = dt.datetime(2025, 3, 3, 12, tzinfo=dt.UTC)


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_notify_each_breach_once(settings, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("row locks with SKIP LOCKED need PostgreSQL")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    monkeypatch.setattr("sla.services.sweep.CHUNK", 20)  # several chunks each
    policy = SlaPolicyFactory()
    tickets = TicketFactory.create_batch(120)
    SlaClock.objects.bulk_create(
        SlaClock(
            ticket=t, metric="first_response", policy=policy, status=ClockStatus.RUNNING,
            target_seconds=3600, started_at=NOW - dt.timedelta(hours=2),
            running_since=NOW - dt.timedelta(hours=2), due_at=NOW - dt.timedelta(minutes=i % 60),
            warn_at=NOW - dt.timedelta(hours=1, minutes=15),
        )
        for i, t in enumerate(tickets)
    )  # fmt: skip
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(sla_sweep(now=NOW))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert sum(r.breaches for r in results) == 120
    assert sum(r.warnings for r in results) == 0
    assert SlaEvent.objects.filter(kind="breached").count() == 120
    assert TicketEvent.objects.filter(kind="sla_breached").count() == 120
    assert not SlaClock.objects.filter(status=ClockStatus.RUNNING).exists()
    assert sla_sweep(now=NOW).breaches == 0
