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

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta

from django.db import DatabaseError, transaction
from django.utils import timezone

from tickets.demo.writer import Writer
from tickets.models import (
    PRIORITY_RANK,
    Channel,
    Customer,
    DeliveryStatus,
    Message,
    Ticket,
    TicketEvent,
    WorkSession,
)
from tickets.sanitize import preview
from tickets.transfer.resolve import Resolver
from tickets.transfer.schema import LineError, TicketRecord, parse_line

BATCH = 1000
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
            written = _write(todo, resolver)
        _count(written, resolver, summary)
    except DatabaseError:
        # Something in the batch collides in the database: one savepoint per ticket.
        for record in todo:
            try:
                with transaction.atomic():
                    written = _write([record], resolver)
                _count(written, resolver, summary)
            except DatabaseError as exc:
                summary.reject(record.line, f"not stored: {str(exc).strip()[:200]}")


@dataclass
class _Written:
    records: list[TicketRecord]
    messages: int
    new_customers: list[Customer]


def _count(written: _Written, resolver: Resolver, summary: ImportSummary) -> None:
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


def _customers(records: list[TicketRecord], resolver: Resolver) -> tuple[list[int], list]:
    """The customer id of every record, creating the unknown ones in one insert."""
    pending: dict[tuple[str, str], Customer] = {}
    chosen: list[int | Customer] = []
    for r in records:
        c = r.customer
        pk = resolver.customer(c)
        if pk is not None:
            chosen.append(pk)
            continue
        keys = [("x", c.external_id), ("e", c.email), ("p", c.phone)]
        obj = next((pending[k] for k in keys if k[1] and k in pending), None)
        if obj is not None and c.external_id and obj.external_id not in ("", c.external_id):
            obj = None
        if obj is None:
            obj = Customer(
                external_id=c.external_id,
                name=c.name,
                email=c.email,
                phone=c.phone,
                created_at=r.created_at,
            )
        for k in keys:
            if k[1]:
                pending.setdefault(k, obj)
        chosen.append(obj)
    new = list({id(o): o for o in chosen if isinstance(o, Customer)}.values())
    Customer.objects.bulk_create(new, batch_size=BATCH)
    ids = [o.pk if isinstance(o, Customer) else o for o in chosen]
    return ids, new


def _ts(value):
    """A timestamp ready for the database: aware datetimes for PostgreSQL's COPY, and the
    naive UTC text Django keeps on SQLite."""
    if value is None or _POSTGRES[0]:
        return value
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


_POSTGRES = [False]


def _write(records: list[TicketRecord], resolver: Resolver) -> _Written:
    """Insert the batch's rows: COPY on PostgreSQL, executemany on SQLite (the demo
    seeder's writer), ids reserved from the sequences first."""
    from metrics.models import Survey, SurveyKind, SurveyResponse, TicketFact

    writer = Writer()
    _POSTGRES[0] = writer.postgres
    if writer.postgres:
        # A bulk load need not wait for each batch's WAL flush: a crash can lose only the
        # last batches, and importing the file again adds exactly those.
        with writer.conn.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            if resolver.skip_fk_checks:
                cursor.execute("SET LOCAL session_replication_role = replica")
    now = _ts(timezone.now())
    frt_clock = _FrtClock()
    customer_ids, new_customers = _customers(records, resolver)
    ticket_ids = writer.reserve_ids(Ticket, len(records))
    tickets, messages, links, events, sessions, surveys, facts = [], [], [], [], [], [], []
    through = Ticket.tags.through
    for record, pk, customer_id in zip(records, ticket_ids, customer_ids, strict=True):
        last_public = next(
            (m for m in reversed(record.messages) if not m.internal and m.text), None
        )
        solved = record.solved_at
        first_in = record.first_customer_message_at
        first_response = record.first_response_at
        team_id = resolver.team(record.team)
        assignee_id = resolver.agent(record.assignee)
        tickets.append(
            (
                pk,
                record.external_id,
                record.subject,
                customer_id,
                record.channel_id,
                record.status,
                record.priority,
                PRIORITY_RANK[record.priority],
                team_id,
                assignee_id,
                _ts(record.created_at),
                _ts(record.last_activity_at),
                _ts(first_in),
                _ts(record.last_customer_message_at),
                _ts(first_response),
                _ts(record.last_agent_message_at),
                _ts(solved),
                _ts(solved) if record.status == "closed" else None,
                record.reopen_count,
                record.agent_reply_count,
                preview(last_public.text if last_public else record.subject),
            )
        )
        for m in record.messages:
            if m.internal:
                status = DeliveryStatus.NOT_SENT
            elif m.direction == "out":
                status = DeliveryStatus.SENT
            else:
                status = DeliveryStatus.RECEIVED
            sent = _ts(m.sent_at)
            messages.append(
                (
                    pk,
                    record.channel_id,
                    m.direction,
                    m.author,
                    resolver.agent(m.agent),
                    m.internal,
                    m.text,
                    str(status),
                    sent,
                    sent,
                )
            )
        tag_ids = resolver.tag_ids(record.tags)
        links.extend((pk, tag_id) for tag_id in tag_ids)
        events.append(
            (
                pk,
                "imported",
                "import",
                {"external_id": record.external_id, "line": record.line},
                now,
            )
        )
        if record.handle_seconds:
            agent_id = assignee_id or next(
                resolver.agent(m.agent) for m in reversed(record.messages) if m.agent
            )
            ended = record.solved_at or record.last_agent_message_at or record.last_activity_at
            digest = hashlib.sha1(record.external_id.encode()).hexdigest()  # noqa: S324
            sessions.append(
                (
                    agent_id,
                    pk,
                    f"import:{digest}",
                    _ts(ended - timedelta(seconds=record.handle_seconds)),
                    _ts(ended),
                    record.handle_seconds,
                    "import",
                )
            )
        if record.csat is not None:
            answered = record.solved_at or record.last_activity_at
            surveys.append((pk, customer_id, record.channel_id, assignee_id, answered, record.csat))
        if solved or first_response:
            frt = None
            if first_response and first_in:
                frt = frt_clock.seconds(
                    record.priority, record.channel_id, team_id, tag_ids, first_in, first_response
                )
            facts.append(
                (
                    pk,
                    _ts(solved),
                    _ts(solved),
                    (solved - record.created_at).total_seconds() if solved else None,
                    frt,
                )
            )
    writer.insert(Ticket, TICKET_COLUMNS, tickets, encoded=ENCODED)
    writer.insert(Message, MESSAGE_COLUMNS, messages, encoded=ENCODED)
    writer.insert(through, ["ticket_id", "tag_id"], links)
    writer.insert(
        TicketEvent,
        ["ticket_id", "kind", "actor_label", "data", "created_at"],
        events,
        encoded=ENCODED,
    )
    writer.insert(
        WorkSession,
        ["agent_id", "ticket_id", "client_id", "started_at", "ended_at", "seconds", "end_reason"],
        sessions,
        encoded=ENCODED,
    )
    survey_ids = writer.reserve_ids(Survey, len(surveys))
    writer.insert(
        Survey,
        [
            "id",
            "kind",
            "ticket_id",
            "customer_id",
            "channel_id",
            "agent_id",
            "sent_at",
            "expires_at",
            "answered_at",
        ],
        [
            (sid, SurveyKind.CSAT.value, t, c, ch, a, _ts(at), _ts(at + timedelta(days=7)), _ts(at))
            for sid, (t, c, ch, a, at, _score) in zip(survey_ids, surveys, strict=True)
        ],
        encoded=ENCODED,
    )
    writer.insert(
        SurveyResponse,
        [
            "survey_id",
            "kind",
            "score",
            "ticket_id",
            "customer_id",
            "channel_id",
            "agent_id",
            "source",
            "created_at",
        ],
        [
            (sid, SurveyKind.CSAT.value, score, t, c, ch, a, "import", _ts(at))
            for sid, (t, c, ch, a, at, score) in zip(survey_ids, surveys, strict=True)
        ],
        encoded=ENCODED,
    )
    writer.insert(
        TicketFact,
        [
            "ticket_id",
            "first_solved_at",
            "last_solved_at",
            "resolution_seconds",
            "frt_business_seconds",
        ],
        facts,
        encoded=ENCODED,
    )
    return _Written(records=records, messages=len(messages), new_customers=new_customers)


# Timestamp columns: given ready for the database by `_ts`.
ENCODED = (
    "created_at",
    "updated_at",
    "first_customer_message_at",
    "last_customer_message_at",
    "first_response_at",
    "last_agent_message_at",
    "solved_at",
    "closed_at",
    "sent_at",
    "started_at",
    "ended_at",
    "expires_at",
    "answered_at",
    "first_solved_at",
    "last_solved_at",
)
TICKET_COLUMNS = [
    "id",
    "external_id",
    "subject",
    "customer_id",
    "channel_id",
    "status",
    "priority",
    "priority_rank",
    "team_id",
    "assignee_id",
    "created_at",
    "updated_at",
    "first_customer_message_at",
    "last_customer_message_at",
    "first_response_at",
    "last_agent_message_at",
    "solved_at",
    "closed_at",
    "reopen_count",
    "agent_reply_count",
    "last_message_preview",
]
MESSAGE_COLUMNS = [
    "ticket_id",
    "channel_id",
    "direction",
    "author_kind",
    "author_id",
    "is_internal",
    "text",
    "delivery_status",
    "sent_at",
    "created_at",
]


class _FrtClock:
    """FRT in the business hours of the SLA policy a ticket matches (calendar seconds when
    it counts calendar time or none matches), as metrics.services.facts does live, with
    the policies and calendars loaded once per batch instead of per ticket."""

    def __init__(self) -> None:
        from sla.selectors import sla_policies_active

        self.policies = sla_policies_active()
        self.calendars: dict[int, object] = {}
        self.kinds = dict(Channel.objects.values_list("pk", "kind"))
        self.matched: dict[tuple, object] = {}

    def seconds(self, priority, channel_id, team_id, tag_ids, start, end) -> float:
        if not any(p.business_hours and p.calendar_id for p in self.policies):
            return (end - start).total_seconds()
        from sla.business_time import seconds_between
        from sla.selectors import TicketFacts, sla_calendar_load, sla_policy_match

        key = (priority, channel_id, team_id, frozenset(tag_ids))
        if key not in self.matched:
            facts = TicketFacts(
                priority=priority,
                channel_kind=self.kinds[channel_id],
                team_id=team_id,
                tag_ids=key[3],
            )
            self.matched[key] = sla_policy_match(facts=facts, policies=self.policies)
        policy = self.matched[key]
        if policy is None or not policy.business_hours or policy.calendar is None:
            return (end - start).total_seconds()
        if policy.calendar_id not in self.calendars:
            self.calendars[policy.calendar_id] = sla_calendar_load(calendar=policy.calendar)
        return float(seconds_between(start, end, self.calendars[policy.calendar_id]))


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
