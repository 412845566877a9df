"""manage.py export_tickets [FILE]: tickets with messages as JSON Lines (docs/import.md)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from tickets.models import Ticket
from tickets.transfer.exporter import export_jsonl


class Command(BaseCommand):
    help = "Export tickets with their messages as JSON Lines, the format import_tickets reads."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default="-", help="output path, - for stdout")
        parser.add_argument("--created-after", help="ISO date or time, inclusive")
        parser.add_argument("--created-before", help="ISO date or time, exclusive")

    def handle(self, *args, **options):
        queryset = Ticket.objects.all()
        if options["created_after"]:
            queryset = queryset.filter(created_at__gte=options["created_after"])
        if options["created_before"]:
            queryset = queryset.filter(created_at__lt=options["created_before"])
        out = sys.stdout if options["file"] == "-" else open(options["file"], "w", encoding="utf-8")  # noqa: SIM115
        count = 0
        try:
            for line in export_jsonl(queryset):
                out.write(line)
                count += 1
        finally:
            if out is not sys.stdout:
                out.close()
        self.stderr.write(f"{count:,} tickets exported")
