"""Import of ticket history from JSON Lines (docs/import.md).

Every line is parsed and validated in full first (tickets.transfer.schema); valid lines are
written in batches with bulk inserts inside one transaction per batch. Should a batch
fail in the database (a ticket imported at the same moment by someone else, ...), it is
rolled back and its tickets are written again one by one, each in its own savepoint, so
one bad ticket is rejected alone. Nothing fires per row: no dispatcher events, no live
updates, no rules, no SLA clocks (history is not worked again). Instead the importer
records what the live subscribers would have recorded for metrics: the first solve and
FRT facts, the CSAT answer, a work session of `handle_seconds`, and a rollup mark over
the imported days.

Idempotent by ticket `external_id`: a ticket already in the help desk is skipped (never
updated); the same id twice in one file is rejected on its second line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import DatabaseError, transaction
from django.utils import timezone

from tickets.models import Ticket
from tickets.transfer.resolve import Resolver
from tickets.transfer.rows import BATCH, Written, write_batch
from tickets.transfer.schema import LineError, TicketRecord, parse_line

MAX_REJECTS_KEPT = 10_000


@dataclass
class ImportSummary:
    lines: int = 0
    created: int = 0
    skipped: int = 0  # already imported (same external_id), left as they are
    messages: int = 0
    customers_created: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    rejected_total: int = 0
    channels_created: list[str] = field(default_factory=list)
    agents_created: list[str] = field(default_factory=list)
    teams_created: list[str] = field(default_factory=list)
    tags_created: list[str] = field(default_factory=list)
    first_day: date | None = None
    last_day: date | None = None

    def reject(self, line: int, reason: str) -> None:
        self.rejected_total += 1
        if len(self.rejected) < MAX_REJECTS_KEPT:
            self.rejected.append((line, reason))

    def as_dict(self, *, max_rejects: int | None = None) -> dict:
        rejected = sorted(self.rejected)  # by line (the channel check comes per batch)
        if max_rejects is not None:
            rejected = rejected[:max_rejects]
        return {
            "lines": self.lines,
            "created": self.created,
            "skipped": self.skipped,
            "rejected": self.rejected_total,
            "messages": self.messages,
            "customers_created": self.customers_created,
            "channels_created": self.channels_created,
            "agents_created": self.agents_created,
            "teams_created": self.teams_created,
            "tags_created": self.tags_created,
            "errors": [{"line": line, "reason": reason} for line, reason in rejected],
        }


Progress = Callable[[int], None]


def import_lines(
    lines: Iterable[str | bytes],
    *,
    batch_size: int = BATCH,
    progress: Progress | None = None,
    skip_fk_checks: bool = False,
) -> ImportSummary:
    """Import an iterable of JSON Lines (numbered from 1); returns the summary.

    `skip_fk_checks` (PostgreSQL superuser only, else ignored): skip the foreign-key
    triggers of the bulk inserts; every id written was just read from or reserved in the
    database, so the checks cannot fail, and they cost a large part of the load.
    """
    summary = ImportSummary()
    resolver = Resolver()
    resolver.skip_fk_checks = skip_fk_checks and _is_superuser()
    seen: dict[str, int] = {}
    batch: list[TicketRecord] = []
    for number, raw in enumerate(lines, start=1):
        summary.lines = number
        if not raw.strip():
            continue  # blank lines are allowed (and not counted as tickets)
        try:
            record = parse_line(raw, number)
        except LineError as exc:
            summary.reject(number, str(exc))
            continue
        first = seen.setdefault(record.external_id, number)
        if first != number:
            summary.reject(number, f"duplicate external_id (first on line {first})")
            continue
        batch.append(record)
        if len(batch) >= batch_size:
            _import_batch(batch, resolver, summary)
            batch = []
            if progress:
                progress(number)
    if batch:
        _import_batch(batch, resolver, summary)
    if progress:
        progress(summary.lines)
    summary.channels_created = resolver.created_channels
    summary.agents_created = resolver.created_agents
    summary.teams_created = resolver.created_teams
    summary.tags_created = resolver.created_tags
    _mark_rollups(summary)
    return summary


def _import_batch(batch: list[TicketRecord], resolver: Resolver, summary: ImportSummary) -> None:
    existing = set(
        Ticket.objects.filter(external_id__in=[r.external_id for r in batch]).values_list(
            "external_id", flat=True
        )
    )
    todo = []
    for record in batch:
        if record.external_id in existing:
            summary.skipped += 1
            continue
        try:
            channel = resolver.channel(record.channel)
        except LineError as exc:
            summary.reject(record.line, str(exc))
            continue
        record.channel_id, record.channel_kind = channel.pk, channel.kind
        todo.append(record)
    if not todo:
        return
    resolver.load_agents(set().union(*(r.agents for r in todo)))
    resolver.load_customers([r.customer for r in todo])
    try:
        with transaction.atomic():
            written = write_batch(todo, resolver)
        _count(written, resolver, summary)
    except DatabaseError:
        # Something in the batch collides in the database: one savepoint per ticket.
        for record in todo:
            try:
                with transaction.atomic():
                    written = write_batch([record], resolver)
                _count(written, resolver, summary)
            except DatabaseError as exc:
                summary.reject(record.line, f"not stored: {str(exc).strip()[:200]}")


def _count(written: Written, resolver: Resolver, summary: ImportSummary) -> None:
    """Called once the batch (or the ticket's savepoint) is stored."""
    for c in written.new_customers:
        resolver.remember(c.pk, c.external_id, c.email, c.phone)
    records = written.records
    summary.created += len(records)
    summary.messages += written.messages
    summary.customers_created += len(written.new_customers)
    first = min(r.created_at for r in records).date()
    last = max(r.last_activity_at for r in records).date()
    summary.first_day = min(d for d in (summary.first_day, first) if d)
    summary.last_day = max(d for d in (summary.last_day, last) if d)


def _is_superuser() -> bool:
    from django.db import connection

    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    return bool(row and row[0])


def _mark_rollups(summary: ImportSummary) -> None:
    """Mark the imported days (and what a new ticket changes around them: the FCR window
    before, the customers' later tickets after) so the metrics rollups are rebuilt and,
    until then, read from the raw rows."""
    if not summary.created or summary.first_day is None:
        return
    from metrics.models import MetricsSettings
    from metrics.rollup import rollup_mark

    window = MetricsSettings.load().fcr_window_days
    yesterday = timezone.now().date() - timedelta(days=1)  # today is never built yet
    rollup_mark(summary.first_day - timedelta(days=window), max(summary.last_day, yesterday))
