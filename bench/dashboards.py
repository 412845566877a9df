"""Server time and query count of every dashboard and of the metrics API, as a manager meets them.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench_1m \\
        .venv/bin/python bench/dashboards.py --runs 3 [--label 1M] [--json out.json]

Signs in a manager with Django's test client (no network: view, queries and template or
JSON rendering) and times, for the 90-day period (`period=quarter`): each dashboard page
(SLA, operations, quality, ROI, staffing), the summary API (`/api/metrics/summary/`) and each
dashboard's JSON API (`/api/metrics/<page>/`). Seed and roll up the database first
(`bench/seeding.py`). Prints medians; `--json` writes the figures for `bench/run.py`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

from bench.common import figure, write_json
from bench.queue_page import measure

TARGET = "< 1000 ms"  # the 90-day dashboard at 1,000,000 tickets


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--label", default="")
    parser.add_argument("--api-only", action="store_true", help="only the JSON endpoints")
    parser.add_argument(
        "--no-warm", action="store_true", help="no unmeasured first request (slow pages)"
    )
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client

    from metrics.pages import PAGES
    from tickets.models import Ticket

    user, _ = User.objects.get_or_create(username="bench-manager", defaults={"first_name": "M"})
    user.groups.add(Group.objects.get(name="manager"), Group.objects.get(name="operator"))
    client = Client()
    client.force_login(user)
    total = Ticket.objects.count()
    at_scale = total >= 1_000_000
    suffix = f" ({args.label})" if args.label else ""

    urls = []
    if not args.api_only:
        urls += [
            (f"dashboard {page}, 90 days", f"/dashboards/{page}/?period=quarter") for page in PAGES
        ]
    urls.append(("metrics API summary, 90 days", "/api/metrics/summary/?period=quarter"))
    urls += [
        (f"metrics API {page}, 90 days", f"/api/metrics/{page}/?period=quarter") for page in PAGES
    ]

    print(f"{total:,} tickets, {connection.vendor}, {os.cpu_count()} cores, median of {args.runs}")
    print(f"{'page':<40}{'median ms':>10}{'min ms':>10}{'queries':>9}")
    out = []
    for label, url in urls:
        times, queries = measure(client, url, args.runs, warm=not args.no_warm)
        print(
            f"{label:<40}{statistics.median(times):>10.1f}{min(times):>10.1f}{queries:>9}",
            flush=True,
        )
        out.append(
            figure(
                label + suffix,
                unit="ms",
                runs=times,
                target=TARGET if at_scale else "",
                queries=queries,
                url=url,
                tickets=total,
            )
        )
    write_json(args.json, out)


if __name__ == "__main__":
    main()
