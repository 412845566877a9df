"""manage.py seed_demo --tickets N [--days D] [--seed S] [--batch B]: realistic demo history."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from tickets.demo import seed_demo
from tickets.demo.progress import ProgressBar


class Command(BaseCommand):
    help = (
        "Fill the help desk with a realistic demo history of an online shop: customers on "
        "several channels, teams, agents, tags, canned responses and tickets with messages. "
        "Running it again adds more tickets and reuses the reference data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, required=True, help="tickets to add")
        parser.add_argument("--days", type=int, default=90, help="days of history (default 90)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--batch", type=int, default=5000, help="tickets per transaction (default 5000)"
        )
        parser.add_argument(
            "--password",
            default=None,
            help="password for demo agents created by this run (default: they cannot log in)",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument(
            "--skip-fk-checks",
            action="store_true",
            help="PostgreSQL superuser only: skip foreign-key triggers (about 1.5x faster)",
        )

    def handle(self, *args, **options):
        if options["tickets"] < 0 or options["days"] < 1 or options["batch"] < 1:
            raise CommandError("--tickets must be >= 0, --days and --batch >= 1.")
        progress = None if options["no_progress"] else ProgressBar(stream=self.stderr._out)
        result = seed_demo(
            tickets=options["tickets"],
            days=options["days"],
            seed=options["seed"],
            batch=options["batch"],
            progress=progress,
            password=options["password"],
            skip_fk_checks=options["skip_fk_checks"],
        )
        self.stdout.write(
            self.style.SUCCESS(
                "Seeded {tickets:,} tickets, {customers:,} new customers, {identities:,} "
                "identities, {messages:,} messages, {events:,} events, {ticket_tags:,} tag links "
                "in {seconds:.1f}s ({tickets_per_second:,.0f} tickets/s).".format(**result)
            )
        )
