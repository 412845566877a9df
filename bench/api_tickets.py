"""Server time and query count of the API's ticket list at scale, page after page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench_1m \\
        .venv/bin/python bench/api_tickets.py --runs 7 [--pages 200] [--json out.json]

Read-only: uses a seeded database (bench/seeding.py) and one of its operators through DRF's
test client, so the figure is the server's
own time (view, queries, serialisation; no network). Measures the first page of
GET /api/tickets/ newest first (the default), in the queue's order over active and over all
tickets, with the queue's filters, and a page deep in the list reached by following `next`
(keyset cursors: no OFFSET, no COUNT).
For comparison it also times the COUNT(*) a page-number pagination would run per page.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("API_RATE_USER", "")

from bench.common import figure, write_json


def timed(client, url: str, runs: int) -> tuple[list[float], int, dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    body = client.get(url).json()  # warm
    times, queries = [], 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.content[:300])
        queries = len(ctx.captured_queries)
    return times, queries, body


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--pages", type=int, default=200, help="depth of the deep page")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from rest_framework.test import APIClient

    from tickets.models import Channel, Ticket

    user = User.objects.filter(groups__name="operator", is_active=True).order_by("pk").first()
    client = APIClient()
    client.force_authenticate(user)
    total = Ticket.objects.count()
    channel = Channel.objects.order_by("pk").first()

    print(f"{total:,} tickets, {connection.vendor}, {os.cpu_count()} cores, median of {args.runs}")
    print(f"{'request':<58}{'median ms':>10}{'min ms':>9}{'queries':>9}")
    active = "status=new&status=open&status=pending&status=on_hold"
    rows = [
        ("first page, default order (newest first, 50 rows)", "/api/tickets/"),
        ("first page, queue order, active tickets", f"/api/tickets/?ordering=priority&{active}"),
        ("first page, queue order, all tickets", "/api/tickets/?ordering=priority"),
        (
            "first page, status + priority + channel filters",
            f"/api/tickets/?status=open&priority=high&channel={channel.pk}",
        ),
    ]
    out = []

    def record(label: str, url: str) -> None:
        times, queries, _ = timed(client, url, args.runs)
        print(f"{label:<58}{statistics.median(times):>10.1f}{min(times):>9.1f}{queries:>9}")
        out.append(figure(label, unit="ms", runs=times, queries=queries, tickets=total))

    for label, url in rows:
        record(label, url)

    # Walk `next` to a deep page, then time that page itself.
    url = "/api/tickets/?page_size=200"
    for _ in range(args.pages):
        url = client.get(url).json()["next"]
        if not url:
            break
    if url:
        record(f"page {args.pages + 1} of 200 rows (row {args.pages * 200:,}+)", url)

    start = time.perf_counter()
    Ticket.objects.count()
    count_ms = (time.perf_counter() - start) * 1000
    print(f"{'for comparison: SELECT COUNT(*) of all tickets':<58}{count_ms:>10.1f}")
    out.append(figure("COUNT(*) of all tickets", unit="ms", runs=[count_ms], tickets=total))
    write_json(args.json, out)


if __name__ == "__main__":
    main()
