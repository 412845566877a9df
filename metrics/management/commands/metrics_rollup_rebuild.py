"""manage.py metrics_rollup_rebuild [--from DATE --to DATE]: recompute the daily rollups.

Without dates: the days from the first ticket to yesterday (UTC). Each day is recomputed
from the raw rows in its own transaction; the summary reads the raw rows for any day not
(re)built.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date

from metrics.models import MetricsSettings
from metrics.rollup import rollup_rebuild, utc_day
from tickets.models import Ticket


class Command(BaseCommand):
    help = "Recompute the metrics daily rollups for a range of UTC days."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", help="first day (YYYY-MM-DD)")
        parser.add_argument("--to", dest="date_to", help="last day, inclusive (YYYY-MM-DD)")
        parser.add_argument("--days-per-batch", type=int, default=1)

    def handle(self, *args, **options):
        d_from = parse_date(options["date_from"]) if options["date_from"] else None
        d_to = parse_date(options["date_to"]) if options["date_to"] else None
        if (options["date_from"] and d_from is None) or (options["date_to"] and d_to is None):
            raise CommandError("dates are YYYY-MM-DD")
        if d_from is None:
            first = Ticket.objects.order_by("created_at").values_list("created_at", flat=True)
            if not first.exists():
                self.stdout.write("no tickets")
                return
            d_from = utc_day(first.first())
        d_to = d_to or utc_day(timezone.now()) - timedelta(days=1)
        window = MetricsSettings.load().fcr_window_days
        step = max(1, options["days_per_batch"])
        t0 = time.perf_counter()
        rows = days = 0
        d = d_from
        while d <= d_to:
            last = min(d + timedelta(days=step - 1), d_to)
            rows += rollup_rebuild(d, last, window_days=window)
            days += (last - d).days + 1
            d = last + timedelta(days=1)
        self.stdout.write(
            f"rebuilt {days} days ({d_from}..{d_to}), {rows} rollup rows, "
            f"{time.perf_counter() - t0:.1f} s"
        )
