"""The 90-day metrics summary over the demo history, timed.

    createdb -h 127.0.0.1 -U postgres helpdesk_metrics_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_metrics_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py seed_demo --tickets 1000000 --skip-fk-checks
    .venv/bin/python manage.py metrics_rollup_rebuild          # the daily rollups
    .venv/bin/python bench/metrics_summary.py --runs 3

Prints the time of each run of `metric_summary` (current 90 days and the previous 90 days
for the ▲▼ change; daily rollups for the whole days, raw rows for the partial days at the
edges), its query count, and the figures of the last run. Then (unless --no-check) it
computes the same summary from the raw rows only (`fast=False`) and fails when any figure
differs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

import django

django.setup()

from django.db import connection, reset_queries  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from metrics.filters import MetricFilter  # noqa: E402
from metrics.selectors.summary import jsonable, metric_summary  # noqa: E402
from tickets.models import Ticket  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--explain", action="store_true", help="print each query's time")
    parser.add_argument("--no-check", action="store_true", help="skip the raw-path comparison")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    end = timezone.now() + timedelta(minutes=1)
    f = MetricFilter(start=end - timedelta(days=args.days), end=end)
    print(f"{connection.vendor}, tickets: {Ticket.objects.count():,}", flush=True)
    print(f"in the period: {Ticket.objects.filter(f.in_period('created_at')).count():,}")
    times = []
    result = None
    for _ in range(args.runs):
        reset_queries()
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            result = metric_summary(f)
            times.append(time.perf_counter() - t0)
        print(
            f"run {len(times)}: {times[-1]:.3f} s, {len(ctx.captured_queries)} queries", flush=True
        )
        if args.explain:
            for q in ctx.captured_queries:
                print(f"  {q['time']}s  {q['sql'][:160]}")
    print(f"median {statistics.median(times):.3f} s over {len(times)} runs")
    total = Ticket.objects.count()
    from bench.common import figure, write_json

    write_json(
        args.json,
        [
            figure(
                f"metrics summary selector, {args.days} days",
                unit="ms",
                runs=[t * 1000 for t in times],
                target="< 1000 ms" if total >= 1_000_000 else "",
                queries=len(ctx.captured_queries),
                tickets=total,
            )
        ],
    )
    print(json.dumps(jsonable(result["current"]), indent=1, default=str))
    if not args.no_check:
        t0 = time.perf_counter()
        raw = metric_summary(f, fast=False)
        print(f"raw path: {time.perf_counter() - t0:.3f} s")
        for part in ("current", "previous"):
            diff = {k: (v, raw[part][k]) for k, v in result[part].items() if raw[part][k] != v}
            print(f"{part}: {diff or 'identical to the raw path'}")
            if diff:
                sys.exit(1)


if __name__ == "__main__":
    main()
