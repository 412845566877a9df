"""Server time and query count of the operator pages at scale, as an operator meets them.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench_1m \\
        .venv/bin/python bench/queue_page.py --runs 7 [--label 1M] [--json out.json]

Uses whatever database DATABASE_URL points at (seed it with `bench/seeding.py`), signs in an
operator with Django's test client (no network, so the figure is the server's own time:
view, queries and template) and reports the median over the runs for: the queue's first
page with the default sort, the queue with three filters (status, priority, channel), a
search over message text through the queue's `q` filter across all tickets, a ticket page,
and the ticket page of a customer with 500 tickets (its customer card lists them; the
seeding makes that customer, or one is created here if absent).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

from bench.common import figure, write_json

SEARCH_WORD = "промокод"  # in one demo opener: a few % of tickets, as an operator's search


def pages(*, ticket, busy_ticket, channel) -> list[tuple[str, str, str]]:
    """(figure, url, target at 1M) of each page measured."""
    return [
        ("queue, first page, default sort", "/", "< 150 ms"),
        (
            "queue, three filters",
            f"/?status=open&priority=high&channel={channel.pk}",
            "< 150 ms",
        ),
        ("search over messages (queue q, all tickets)", f"/?view=all&q={quote(SEARCH_WORD)}", ""),
        ("ticket page", f"/tickets/{ticket.pk}/", "< 100 ms"),
        ("customer card, customer with 500 tickets", f"/tickets/{busy_ticket.pk}/", "< 100 ms"),
    ]


def measure(client, url: str, runs: int, *, warm: bool = True) -> tuple[list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if warm:
        assert client.get(url).status_code == 200, url  # warm caches and the session
    times, queries = [], 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, url
        queries = len(ctx.captured_queries)
    return times, queries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--label", default="", help="appended to each figure, e.g. 1M")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client

    from bench.seeding import BUSY_CUSTOMER_EMAIL, BUSY_TICKETS
    from tickets.models import Channel, Ticket

    user, _ = User.objects.get_or_create(username="bench-operator", defaults={"first_name": "B"})
    user.groups.add(Group.objects.get(name="operator"))
    client = Client()
    client.force_login(user)

    total = Ticket.objects.count()
    channel = Channel.objects.order_by("pk").first()
    ticket = Ticket.objects.exclude(customer__email=BUSY_CUSTOMER_EMAIL).order_by("-pk").first()
    busy = Ticket.objects.filter(customer__email=BUSY_CUSTOMER_EMAIL).order_by("-pk").first()
    if busy is None:
        busy = Ticket.objects.get(pk=_customer_with_tickets(ticket, BUSY_TICKETS))

    suffix = f" ({args.label})" if args.label else ""
    print(f"{total:,} tickets, {connection.vendor}, {os.cpu_count()} cores, median of {args.runs}")
    print(f"{'page':<48}{'median ms':>10}{'min ms':>10}{'queries':>9}")
    out = []
    for label, url, target in pages(ticket=ticket, busy_ticket=busy, channel=channel):
        times, queries = measure(client, url, args.runs)
        print(f"{label:<48}{statistics.median(times):>10.1f}{min(times):>10.1f}{queries:>9}")
        at_scale = total >= 1_000_000
        out.append(
            figure(
                label + suffix,
                unit="ms",
                runs=times,
                target=target if at_scale else "",
                queries=queries,
                url=url,
                tickets=total,
            )
        )
    write_json(args.json, out)


def _customer_with_tickets(template, count: int) -> int:
    """A customer with `count` tickets, the last one open; returns the open one's id."""
    from django.utils import timezone

    from bench.seeding import BUSY_CUSTOMER_EMAIL
    from tickets.models import Customer, Ticket

    customer = Customer.objects.create(name="Bench Busy Customer", email=BUSY_CUSTOMER_EMAIL)
    now = timezone.now()
    Ticket.objects.bulk_create(
        Ticket(
            subject=f"Earlier question {n}",
            customer=customer,
            channel_id=template.channel_id,
            status="closed",
            created_at=now,
            updated_at=now,
            solved_at=now,
            closed_at=now,
        )
        for n in range(count - 1)
    )
    return Ticket.objects.create(
        subject="Current question", customer=customer, channel_id=template.channel_id
    ).pk


if __name__ == "__main__":
    main()
