"""Server time and query count of the operator pages at scale, as an operator meets them.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_metrics_bench \\
        .venv/bin/python bench/queue_page.py --runs 7

Uses whatever database DATABASE_URL points at (seed it with `manage.py seed_demo`), signs in
an operator with Django's test client (no network, so the figure is the server's own time:
view, queries, template) and reports the median over the runs for: the queue's first page
with the default sort, the queue with three filters, a ticket page, and the ticket page of a
customer with 500 tickets (created for the benchmark if absent).
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tickets.models import Channel, Ticket

    user, _ = User.objects.get_or_create(username="bench-operator", defaults={"first_name": "B"})
    user.groups.add(Group.objects.get(name="operator"))
    client = Client()
    client.force_login(user)

    total = Ticket.objects.count()
    channel = Channel.objects.order_by("pk").first()
    ticket = Ticket.objects.order_by("-pk").first()
    busy = (
        Ticket.objects.values("customer_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=500)
        .order_by("customer_id")
        .values_list("customer_id", flat=True)
        .first()
    )
    if busy is None:
        busy = _customer_with_tickets(ticket, 500)
    busy_ticket = Ticket.objects.filter(customer_id=busy).order_by("-pk").first()

    pages = [
        ("queue, first page, default sort", "/"),
        ("queue, three filters", f"/?status=open&priority=high&channel={channel.pk}"),
        ("ticket page", f"/tickets/{ticket.pk}/"),
        ("ticket page, customer with 500 tickets", f"/tickets/{busy_ticket.pk}/"),
    ]
    print(f"{total:,} tickets, {connection.vendor}, {os.cpu_count()} cores, median of {args.runs}")
    print(f"{'page':<42}{'median ms':>10}{'min ms':>10}{'queries':>9}")
    for label, url in pages:
        assert client.get(url).status_code == 200, url  # warm caches and the session
        times = []
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        print(f"{label:<42}{statistics.median(times):>10.1f}{min(times):>10.1f}{len(queries):>9}")


def _customer_with_tickets(template, count: int) -> int:
    """A customer with `count` closed tickets, copied from an existing one (bulk insert)."""
    from django.utils import timezone

    from tickets.models import Customer, Ticket

    customer = Customer.objects.create(name="Bench Busy Customer", email="busy@example.org")
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
        for n in range(count)
    )
    return customer.pk


if __name__ == "__main__":
    main()
