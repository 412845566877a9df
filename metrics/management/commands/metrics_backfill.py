"""manage.py metrics_backfill: record business-hours FRT and first solve for old tickets.

Tickets answered or solved before the metrics app was listening (or written by the demo
seeder) have no TicketFact; this computes them in batches.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from metrics.models import TicketFact
from metrics.services.facts import business_seconds
from tickets.models import Ticket


class Command(BaseCommand):
    help = "Compute missing per-ticket metric facts (business-hours FRT, first solve)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=2000)
        parser.add_argument("--limit", type=int, default=0, help="stop after N tickets")

    def handle(self, *args, **options):
        done = 0
        last = 0
        while True:
            tickets = list(
                Ticket.objects.filter(pk__gt=last, metric_fact__isnull=True)
                .filter(first_response_at__isnull=False)
                .select_related("channel")
                .order_by("pk")[: options["batch"]]
            )
            if not tickets:
                break
            facts = []
            for t in tickets:
                frt = None
                if t.first_customer_message_at and t.first_response_at:
                    frt = business_seconds(t, t.first_customer_message_at, t.first_response_at)
                facts.append(
                    TicketFact(
                        ticket_id=t.pk,
                        first_solved_at=t.solved_at,
                        last_solved_at=t.solved_at,
                        resolution_seconds=(t.solved_at - t.created_at).total_seconds()
                        if t.solved_at
                        else None,
                        frt_business_seconds=frt,
                    )
                )
            TicketFact.objects.bulk_create(facts, ignore_conflicts=True)
            done += len(tickets)
            last = tickets[-1].pk
            if options["limit"] and done >= options["limit"]:
                break
        self.stdout.write(f"facts recorded for {done} tickets")
