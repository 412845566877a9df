"""Writing one batch of validated tickets: customers first, then every table's rows by
COPY (PostgreSQL) or executemany (SQLite) through the demo seeder's writer, ids reserved
from the sequences. Called inside the batch's transaction by tickets.transfer.importer;
knows nothing of files, lines or summaries."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, timedelta

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
from tickets.transfer.schema import TicketRecord

BATCH = 1000


@dataclass
class Written:
    records: list[TicketRecord]
    messages: int
    new_customers: list[Customer]


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


def write_batch(records: list[TicketRecord], resolver: Resolver) -> Written:
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
    return Written(records=records, messages=len(messages), new_customers=new_customers)


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
