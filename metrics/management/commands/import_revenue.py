"""manage.py import_revenue FILE.csv: CRM revenue events, idempotent by order id."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from helpdesk.exceptions import ApplicationError
from metrics.services import revenue_import_csv


class Command(BaseCommand):
    help = (
        "Import revenue events from a CSV file with columns order_id, amount, currency, date "
        "and customer_external_id / email / phone. Rows with a known order id are updated."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="CSV file (UTF-8), '-' for stdin")

    def handle(self, *args, **options):
        import sys

        path = options["path"]
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
        try:
            result = revenue_import_csv(text=text)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        for error in result.errors:
            self.stderr.write(error)
        self.stdout.write(
            f"created {result.created}, updated {result.updated}, "
            f"matched to customers {result.matched}, errors {len(result.errors)}"
        )
