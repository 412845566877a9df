"""Time one SLA sweep over many open tickets with some timers due; print seconds and queries.

    createdb -h 127.0.0.1 -U postgres helpdesk_sla_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_sla_bench \\
        .venv/bin/python bench/sla_sweep.py --tickets 100000 --due 1000 --runs 5

Migrates the database, seeds (once, with bulk inserts) `--tickets` open tickets with a running
first-response and resolution clock each, `--due` of the first-response clocks past due, then
runs the sweep `--runs` times, putting the due clocks back between runs. The default policies
from the data migration apply: each breach also reaches escalation level 1, so one sweep writes
2 x `--due` SLA events. Notifications and escalation actions go to the `sla.notify` task (a
worker in production); here they are queued in memory, not run. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

BENCH_CYCLE = 99  # marks the clocks this script makes due


def seed(tickets: int, due: int, batch: int) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from sla.models import ClockStatus, SlaClock, SlaPolicy
    from tickets.models import Channel, Customer, Ticket

    if Ticket.objects.filter(subject__startswith="sla-bench").count() >= tickets:
        return
    now = timezone.now()
    policy = SlaPolicy.objects.get(name="Standard")
    channel = Channel.objects.create(kind="generic", name="sla-bench", secret="x")
    users = get_user_model()
    agents = [users.objects.get_or_create(username=f"sla-bench-{i}")[0] for i in range(10)]
    customers = Customer.objects.bulk_create(
        [Customer(name=f"Bench {i}") for i in range(1000)], batch_size=batch
    )
    made = 0
    while made < tickets:
        n = min(batch, tickets - made)
        rows = Ticket.objects.bulk_create(
            [
                Ticket(
                    subject=f"sla-bench {made + i}",
                    customer=customers[(made + i) % len(customers)],
                    channel=channel,
                    status="open",
                    assignee=agents[(made + i) % len(agents)],
                    created_at=now,
                    updated_at=now,
                )
                for i in range(n)
            ],
            batch_size=batch,
        )
        clocks = []
        for i, ticket in enumerate(rows):
            is_due = made + i < due
            for metric in ("first_response", "resolution"):
                late = is_due and metric == "first_response"
                clocks.append(
                    SlaClock(
                        ticket=ticket,
                        metric=metric,
                        policy=policy,
                        cycle=BENCH_CYCLE if late else 1,
                        status=ClockStatus.RUNNING,
                        business=False,
                        target_seconds=3600,
                        started_at=now,
                        running_since=now,
                        due_at=now - timedelta(minutes=5) if late else now + timedelta(days=365),
                        warn_at=now - timedelta(minutes=20) if late else now + timedelta(days=300),
                        warned_at=now - timedelta(minutes=20) if late else None,
                    )
                )
        SlaClock.objects.bulk_create(clocks, batch_size=batch)
        made += n
        print(f"seeded {made} tickets", flush=True)


def reset_due() -> None:
    """Put the bench's due clocks back to running and forget what the last sweep recorded."""
    from django.utils import timezone

    from sla.models import ClockStatus, SlaClock, SlaEvent
    from tickets.models import TicketEvent

    now = timezone.now()
    due = SlaClock.objects.filter(cycle=BENCH_CYCLE)
    SlaEvent.objects.filter(clock__in=due).delete()
    TicketEvent.objects.filter(kind__startswith="sla_", ticket__sla_clocks__in=due).delete()
    due.update(
        status=ClockStatus.RUNNING,
        due_at=now - timedelta(minutes=5),
        breached_at=None,
        escalation_level=0,
        next_escalation_at=None,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from helpdesk.celery import app
    from sla.models import SlaClock
    from sla.services import sla_sweep
    from tickets.models import Ticket

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    app.conf.task_always_eager = False  # queue sla.notify like beat does; a worker runs it
    app.conf.broker_url = "memory://"
    call_command("migrate", verbosity=0)
    seed(args.tickets, args.due, args.batch)
    open_tickets = Ticket.objects.filter(status="open").count()
    clocks = SlaClock.objects.count()
    print(f"{connection.vendor}: {open_tickets} open tickets, {clocks} clocks")

    seconds, queries = [], []
    for run in range(args.runs):
        reset_due()
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            result = sla_sweep()
            elapsed = time.perf_counter() - start
        seconds.append(elapsed)
        queries.append(len(ctx.captured_queries))
        print(
            f"run {run + 1}: {elapsed:.3f}s, {len(ctx.captured_queries)} queries, "
            f"breaches={result.breaches} escalations={result.escalations} "
            f"warnings={result.warnings} stuck={result.stuck}"
        )
    print(
        f"median {statistics.median(seconds):.3f}s, {statistics.median(queries):.0f} queries "
        f"over {args.runs} runs ({args.due} due timers, {open_tickets} open tickets)"
    )
    from bench.common import figure, write_json

    write_json(
        args.json,
        [
            figure(
                f"SLA sweep, {open_tickets:,} open tickets, {args.due:,} due",
                unit="s",
                runs=seconds,
                target="< 1 s" if args.tickets >= 100_000 else "",
                queries=int(statistics.median(queries)),
            )
        ],
    )


if __name__ == "__main__":
    main()
