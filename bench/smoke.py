"""`make bench-smoke`: a few figures on 10,000 tickets, checked against bench/baseline.json.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench_smoke \\
        .venv/bin/python bench/smoke.py [--runs 5] [--update-baseline] [--slow FIGURE=MS]

PostgreSQL (the production database, with its partial indexes and plans; CI has it). The
database is created when missing and seeded once by bench/seeding.py (10,000 demo tickets
with SLA clocks, survey answers and rollups; its marker makes later runs reuse it). Each
figure is the median of `--runs` repetitions, in this process with Django's test client (no
network): the operator pages (queue, three filters, message search, ticket page, customer
card of a customer with 500 tickets), the SLA dashboard and the summary API, one intake
`receive()` of a new customer's message, and one SLA sweep over 2,000 open tickets with 100
due. The intake and the sweep run inside a transaction that is rolled back, so the database
never grows. Query counts are figures too.

Exits 1 when a figure is more than 3x its baseline (`--factor`); a time figure must also
have grown by more than 10 ms (`--floor-ms`), so a 2 ms page that takes 7 ms on a busy CI
machine is not a regression. `--slow FIGURE=MS` adds a real pause of MS milliseconds inside
that figure's timed region: the way to see the gate fail (see docs/performance.md).
`--update-baseline` writes the figures of this run as the new baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

from bench.common import machine  # noqa: E402

BASELINE = ROOT / "bench/baseline.json"
TICKETS = 10_000
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_bench_smoke"


def compare(
    current: dict[str, float], baseline: dict[str, float], *, factor: float, floor_ms: float
) -> list[str]:
    """The regressions: figures over `factor` x their baseline (times also by > floor_ms).

    Keys end with their unit (" ms" or " queries"). A figure missing from the baseline is
    new and passes; a baseline figure missing from this run is a failure (a figure must not
    vanish silently).
    """
    problems = []
    for name, base in baseline.items():
        if name not in current:
            problems.append(f"{name}: missing from this run")
            continue
        value = current[name]
        limit = base * factor
        if name.endswith(" ms"):
            limit = max(limit, base + floor_ms)
        if value > limit:
            ratio = value / base if base else float("inf")
            problems.append(f"{name}: {value:.1f} vs baseline {base:.1f} ({ratio:.1f}x)")
    return problems


def ensure_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


class Timer:
    def __init__(self, slow: dict[str, float]):
        self.slow = slow

    def runs(self, name: str, fn, n: int) -> list[float]:
        times = []
        for _ in range(n):
            start = time.perf_counter()
            fn()
            if name in self.slow:
                time.sleep(self.slow[name] / 1000)  # the gate's own check: a slowed figure
            times.append((time.perf_counter() - start) * 1000)
        return times


def measure(runs: int, slow: dict[str, float]) -> dict[str, float]:
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.queue_page import pages
    from bench.seeding import BUSY_CUSTOMER_EMAIL
    from tickets.models import Channel, Ticket

    timer = Timer(slow)
    out: dict[str, float] = {}

    def page_figures(client, items) -> None:
        for name, url in items:
            assert client.get(url).status_code == 200, url  # warm
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200, url
            out[f"{name} queries"] = len(ctx.captured_queries)

            def get(url=url):
                assert client.get(url).status_code == 200

            out[f"{name} ms"] = statistics.median(timer.runs(name, get, runs))

    operator, _ = User.objects.get_or_create(username="bench-operator")
    operator.groups.add(Group.objects.get(name="operator"))
    client = Client()
    client.force_login(operator)
    ticket = Ticket.objects.exclude(customer__email=BUSY_CUSTOMER_EMAIL).order_by("-pk").first()
    busy = Ticket.objects.filter(customer__email=BUSY_CUSTOMER_EMAIL).order_by("-pk").first()
    channel = Channel.objects.order_by("pk").first()
    page_figures(
        client,
        [(name, url) for name, url, _t in pages(ticket=ticket, busy_ticket=busy, channel=channel)],
    )

    manager, _ = User.objects.get_or_create(username="bench-manager")
    manager.groups.add(Group.objects.get(name="manager"), Group.objects.get(name="operator"))
    client = Client()
    client.force_login(manager)
    page_figures(
        client,
        [
            ("dashboard sla, 90 days", "/dashboards/sla/?period=quarter"),
            ("metrics API summary, 90 days", "/api/metrics/summary/?period=quarter"),
        ],
    )

    out.update(_intake(timer, runs))
    out.update(_sweep(timer, runs))
    return out


class _Rollback(Exception):
    pass


def _intake(timer: Timer, runs: int) -> dict[str, float]:
    """receive() of a new customer's message: customer, ticket, rules, SLA clocks."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from tickets.inbound import InboundMessage, SenderIdentity
    from tickets.models import Channel
    from tickets.services import receive

    name = "intake receive(), new customer's message"
    channel = Channel.objects.order_by("pk").first()
    stamp = time.time_ns()
    counter = iter(range(10**6))

    def one() -> None:
        n = next(counter)
        receive(
            msg=InboundMessage(
                channel_id=channel.pk,
                external_message_id=f"smoke-{stamp}-{n}",
                sender=SenderIdentity(external_id=f"smoke-{stamp}-{n}", name="Smoke Customer"),
                text="Где мой заказ 1042? Трек-номер не обновляется",
                sent_at=timezone.now(),
            )
        )

    result = {}
    try:
        with transaction.atomic():
            one()  # warm
            with CaptureQueriesContext(connection) as ctx:
                one()
            result[f"{name} queries"] = len(ctx.captured_queries)
            result[f"{name} ms"] = statistics.median(timer.runs(name, one, max(runs, 10)))
            raise _Rollback
    except _Rollback:
        pass
    return result


def _sweep(timer: Timer, runs: int) -> dict[str, float]:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from bench.sla_sweep import reset_due, seed
    from helpdesk.celery import app
    from sla.services import sla_sweep

    name = "SLA sweep, 2,000 open tickets, 100 due"
    app.conf.broker_url = "memory://"  # notifications are queued, not run (as on beat)
    result = {}
    try:
        with transaction.atomic():
            seed(2000, 100, 2000)
            times, queries = [], 0
            for _ in range(runs):
                reset_due()
                with CaptureQueriesContext(connection) as ctx:
                    times += timer.runs(name, sla_sweep, 1)
                queries = len(ctx.captured_queries)
            result[f"{name} ms"] = statistics.median(times)
            result[f"{name} queries"] = queries
            raise _Rollback
    except _Rollback:
        pass
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--factor", type=float, default=3.0)
    parser.add_argument("--floor-ms", type=float, default=10.0)
    parser.add_argument("--update-baseline", action="store_true")
    parser.add_argument("--baseline", default=str(BASELINE))
    parser.add_argument(
        "--slow", action="append", default=[], metavar="FIGURE=MS", help="slow a figure down"
    )
    args = parser.parse_args()
    slow = {}
    for item in args.slow:
        name, _, ms = item.rpartition("=")
        slow[name] = float(ms)

    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        sys.exit("bench-smoke runs on PostgreSQL: set DATABASE_URL to a postgres:// URL")
    started = time.monotonic()
    ensure_database(url)
    from bench.seeding import seed

    seed(TICKETS)
    from django.conf import settings

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    unknown = set(slow) - {""}
    current = measure(args.runs, slow)
    unknown -= {k.rsplit(" ", 1)[0] for k in current}
    if unknown:
        sys.exit(f"--slow names no figure: {', '.join(sorted(unknown))}")

    baseline_path = Path(args.baseline)
    baseline = json.loads(baseline_path.read_text())["figures"] if baseline_path.exists() else {}
    print(f"{'figure':<58}{'now':>10}{'baseline':>10}{'ratio':>8}")
    for name, value in current.items():
        base = baseline.get(name)
        ratio = f"{value / base:.2f}" if base else "new"
        shown = f"{base:.1f}" if base is not None else "—"
        print(f"{name:<58}{value:>10.1f}{shown:>10}{ratio:>8}")
    print(f"{TICKETS:,} tickets, {time.monotonic() - started:.0f} s in all")
    if args.update_baseline:
        rounded = {k: round(v, 2) for k, v in current.items()}
        info = {**machine(), "tickets": TICKETS, "runs": args.runs}
        baseline_path.write_text(json.dumps({"machine": info, "figures": rounded}, indent=1) + "\n")
        print(f"baseline written: {baseline_path}")
        return
    if not baseline:
        sys.exit(f"no baseline at {baseline_path}: run with --update-baseline first")
    problems = compare(current, baseline, factor=args.factor, floor_ms=args.floor_ms)
    if problems:
        print(f"REGRESSION: more than {args.factor:g}x the baseline:")
        for problem in problems:
            print(f"  {problem}")
        sys.exit(1)
    print(f"bench-smoke: every figure within {args.factor:g}x of bench/baseline.json")


if __name__ == "__main__":
    main()
