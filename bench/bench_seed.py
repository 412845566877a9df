"""Time the demo seeder on the configured database and print tickets/s.

    HELPDESK_VAR_DIR=/tmp/seedvar .venv/bin/python bench/bench_seed.py --tickets 20000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_seed \\
        .venv/bin/python bench/bench_seed.py --tickets 20000 --runs 3

Seeds into whatever database the settings point at (migrate it first); each run adds rows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--skip-fk-checks", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    from tickets.demo import seed_demo
    from tickets.models import Ticket

    before = Ticket.objects.count()
    rates = []
    for run in range(args.runs):
        result = seed_demo(
            tickets=args.tickets,
            seed=1000 + run,
            batch=args.batch,
            skip_fk_checks=args.skip_fk_checks,
        )
        counts = ("customers", "identities", "tickets", "ticket_tags", "messages", "events")
        rows = sum(result[k] for k in counts)
        rates.append(result["tickets_per_second"])
        seconds, rate = result["seconds"], result["tickets_per_second"]
        print(
            f"{connection.vendor}: {args.tickets} tickets ({rows} rows) in {seconds}s "
            f"= {rate:,.0f} tickets/s, {rows / seconds:,.0f} rows/s"
        )
    print(
        f"{connection.vendor}: median {statistics.median(rates):,.0f} tickets/s over {args.runs} "
        f"run(s); tickets in database {before} -> {Ticket.objects.count()}"
    )


if __name__ == "__main__":
    main()
