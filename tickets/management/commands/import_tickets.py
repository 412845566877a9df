"""manage.py import_tickets FILE: ticket history from JSON Lines (docs/import.md)."""

from __future__ import annotations

import json
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from tickets.transfer.importer import BATCH, import_lines


def _count_lines(path: str) -> int:
    n = 0
    last = b"\n"
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            n += chunk.count(b"\n")
            last = chunk[-1:]
    return n + (last != b"\n")


class ProgressBar:
    """One line on the terminal, redrawn in place: bar, percent, lines, elapsed."""

    def __init__(self, total: int, stream, width: int = 30) -> None:
        self.total, self.stream, self.width = max(total, 1), stream, width
        self.started = time.monotonic()

    def __call__(self, done: int) -> None:
        share = min(done / self.total, 1.0)
        filled = int(share * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = time.monotonic() - self.started
        self.stream.write(f"\r[{bar}] {share:4.0%} {done:,}/{self.total:,} lines {elapsed:5.1f}s")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


class Command(BaseCommand):
    help = "Import tickets with their messages from a JSON Lines file (one ticket per line)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the .jsonl file, or - for standard input")
        parser.add_argument("--batch-size", type=int, default=BATCH)
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")
        parser.add_argument(
            "--skip-fk-checks",
            action="store_true",
            help="PostgreSQL superuser only: skip foreign-key triggers of the bulk inserts",
        )
        parser.add_argument(
            "--show-errors", type=int, default=50, help="rejected lines listed (default 50)"
        )

    def handle(self, *args, **options):
        path = options["file"]
        bar = None
        if not options["no_progress"] and path != "-":
            bar = ProgressBar(_count_lines(path), sys.stderr)
        started = time.monotonic()
        try:
            fh = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        with fh:
            summary = import_lines(
                fh,
                batch_size=options["batch_size"],
                progress=bar,
                skip_fk_checks=options["skip_fk_checks"],
            )
        if bar:
            bar.close()
        elapsed = time.monotonic() - started
        if options["json"]:
            data = summary.as_dict()
            data["seconds"] = round(elapsed, 2)
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        w = self.stdout.write
        w(f"{summary.lines:,} lines read in {elapsed:.1f}s")
        w(
            f"  created: {summary.created:,} tickets, {summary.messages:,} messages, "
            f"{summary.customers_created:,} customers"
        )
        w(f"  skipped (already imported): {summary.skipped:,}")
        for label, names in (
            ("channels", summary.channels_created),
            ("agents", summary.agents_created),
            ("teams", summary.teams_created),
            ("tags", summary.tags_created),
        ):
            if names:
                shown = ", ".join(names[:20]) + (" ..." if len(names) > 20 else "")
                w(f"  new {label} ({len(names)}): {shown}")
        w(f"  rejected: {summary.rejected_total:,}")
        for line, reason in sorted(summary.rejected)[: options["show_errors"]]:
            w(f"    line {line}: {reason}")
        if summary.rejected_total > options["show_errors"]:
            w(f"    ... {summary.rejected_total - options['show_errors']:,} more (--show-errors N)")
