"""seed_demo(): realistic help-desk history written in bulk, batch by batch.

Per batch: plan every ticket in memory (`simulate`), reserve primary keys, then write
customers, identities, tickets, ticket tags, messages and events with one COPY
(PostgreSQL) or one executemany (SQLite) per table, inside one transaction.
"""

from __future__ import annotations

import json
import random
import time
from collections import deque
from collections.abc import Callable

from django.db import connection, transaction
from django.utils import timezone

from tickets.demo.names import latin, random_name
from tickets.demo.reference import Reference, reference_ensure
from tickets.demo.shape import (
    CHANNEL_CUM,
    CHANNELS,
    TOPIC_CUM,
    TOPIC_NAMES,
    TOPICS,
    creation_times,
    pick,
    priority_for,
)
from tickets.demo.simulate import simulate
from tickets.demo.writer import Writer
from tickets.models import PRIORITY_RANK, Customer, CustomerIdentity, Message, Ticket, TicketEvent

RETURNING_SHARE = 0.3  # tickets from a customer seen before in this run
SECOND_CHANNEL_SHARE = 0.25  # new customers known on two channels
POOL_SIZE = 20_000  # recent customers a returning ticket is drawn from
NEVER = float("inf")
CHANNEL_INDEXES = list(range(len(CHANNELS)))

TICKET_COLUMNS = [
    "id", "subject", "customer_id", "channel_id", "status", "priority", "priority_rank",
    "team_id", "assignee_id", "created_at", "updated_at", "first_customer_message_at",
    "last_customer_message_at", "first_response_at", "last_agent_message_at", "solved_at",
    "closed_at", "reopen_count", "agent_reply_count", "last_message_preview",
]  # fmt: skip
MESSAGE_COLUMNS = [
    "id", "ticket_id", "channel_id", "direction", "author_kind", "author_id", "is_internal",
    "text", "delivery_status", "sent_at", "created_at", "external_id", "delivery_attempts",
]  # fmt: skip
EVENT_COLUMNS = ["ticket_id", "kind", "actor_id", "actor_label", "data", "created_at"]
CUSTOMER_COLUMNS = ["id", "name", "email", "phone", "language", "created_at"]
IDENTITY_COLUMNS = [
    "customer_id", "channel_id", "external_id", "display_name", "username", "created_at",
]  # fmt: skip


class _Customer:
    __slots__ = ("channels", "created_at", "first", "id", "lang", "last")

    def __init__(self, lang: str, first: str, last: str, created_at: float):
        self.id = 0
        self.lang = lang
        self.first = first
        self.last = last
        self.created_at = created_at
        self.channels: dict[int, float] = {}  # channel index -> busy until (closed_at)


def _phone(c: _Customer) -> str:
    return f"+79{c.id % 10**9:09d}" if c.lang == "ru" else f"+447{c.id % 10**9:09d}"


def _email(c: _Customer) -> str:
    return f"{latin(c.first)}.{latin(c.last)}{c.id}@example.com".replace(" ", "")


def _identity_external_id(c: _Customer, kind: str) -> tuple[str, str]:
    """(external id, username) of a customer on a channel of `kind`; unique by customer id."""
    if kind == "telegram":
        return str(500_000_000 + c.id), f"{latin(c.first)}_{c.id}"
    if kind == "whatsapp":
        return _phone(c).lstrip("+"), ""
    if kind == "email":
        return _email(c), ""
    return f"web-{c.id:010d}", ""


class _Seeder:
    def __init__(self, ref: Reference, rng: random.Random, now: float):
        self.ref = ref
        self.rng = rng
        self.now = now
        self.pool: deque[_Customer] = deque(maxlen=POOL_SIZE)
        self.writer = Writer()  # reserves ids on this thread's connection
        self.counts = dict.fromkeys(
            ["tickets", "customers", "identities", "messages", "events", "ticket_tags"], 0
        )

    def _customer_for(self, t0: float) -> tuple[_Customer, int, bool]:
        rng = self.rng
        if self.pool and rng.random() < RETURNING_SHARE:
            for _ in range(3):
                candidate = self.pool[rng.randrange(len(self.pool))]
                free = [ci for ci, busy in candidate.channels.items() if busy <= t0]
                if free:
                    return candidate, rng.choice(free), True
        lang = "ru" if rng.random() < 0.6 else "en"
        first, last = random_name(rng, lang)
        customer = _Customer(lang, first, last, t0)
        ci = CHANNEL_INDEXES[pick(rng, CHANNEL_INDEXES, CHANNEL_CUM)]
        customer.channels[ci] = 0.0
        if rng.random() < SECOND_CHANNEL_SHARE:
            customer.channels[rng.choice([i for i in CHANNEL_INDEXES if i != ci])] = 0.0
        self.pool.append(customer)
        return customer, ci, False

    def plan(self, times: list[float]) -> list[tuple]:
        """Plan a batch and reserve its ids; returns the inserts for `write()`."""
        rng, ref = self.rng, self.ref
        planned, new_customers = [], []
        for t0 in times:
            customer, ci, repeat = self._customer_for(t0)
            if not repeat:
                new_customers.append(customer)
            topic = pick(rng, TOPIC_NAMES, TOPIC_CUM)
            _weight, tags, team, _priorities = TOPICS[topic]
            plan = simulate(
                rng,
                t0=t0,
                now=self.now,
                topic=topic,
                lang=customer.lang,
                priority=priority_for(rng, topic),
                agents=ref.agents[team],
                customer_first=customer.first,
                email=CHANNELS[ci][1] == "email",
            )
            customer.channels[ci] = plan.closed_at if plan.closed_at is not None else NEVER
            tag_names = [*tags, "repeat customer"] if repeat else tags
            planned.append((customer, ci, team, tag_names, plan))

        w = self.writer
        for customer, cid in zip(
            new_customers, w.reserve_ids(Customer, len(new_customers)), strict=True
        ):
            customer.id = cid
        customer_rows, identity_rows = [], []
        for c in new_customers:
            email = _email(c) if c.lang == "en" or rng.random() < 0.5 else ""
            customer_rows.append(
                (c.id, f"{c.first} {c.last}", email, _phone(c), c.lang, c.created_at)
            )
            for ci in c.channels:
                channel_id, kind = ref.channels[ci]
                external_id, username = _identity_external_id(c, kind)
                name = f"{c.first} {c.last}"
                identity_rows.append((c.id, channel_id, external_id, name, username, c.created_at))

        ticket_ids = w.reserve_ids(Ticket, len(planned))
        message_ids = iter(w.reserve_ids(Message, sum(len(p[4].messages) for p in planned)))
        ticket_rows, tag_rows, message_rows, event_rows = [], [], [], []
        for tid, (customer, ci, team, tag_names, p) in zip(ticket_ids, planned, strict=True):
            channel_id = ref.channels[ci][0]
            ticket_rows.append(
                (tid, p.subject, customer.id, channel_id, p.status, p.priority,
                 PRIORITY_RANK[p.priority], ref.teams[team],
                 p.assignee.id if p.assignee else None, p.created_at, p.updated_at,
                 p.first_customer_message_at, p.last_customer_message_at, p.first_response_at,
                 p.last_agent_message_at, p.solved_at, p.closed_at, p.reopen_count,
                 p.agent_reply_count, p.last_message_preview)
            )  # fmt: skip
            tag_rows.extend((tid, ref.tags[name]) for name in tag_names)
            ids = []
            for direction, kind, author, internal, text, status, t in p.messages:
                mid = next(message_ids)
                ids.append(mid)
                inbound = direction == "in"
                message_rows.append(
                    (mid, tid, channel_id, direction, kind, author, internal, text, status, t, t,
                     f"demo-{mid}" if inbound else None, 0 if inbound or internal else 1)
                )  # fmt: skip
            for kind, actor, label, data, t, idx in p.events:
                if idx >= 0:
                    data = f'{{"message_id": {ids[idx]}}}'
                elif not data:
                    data = "{}"
                else:
                    data = json.dumps(data)
                event_rows.append((tid, kind, actor, label, data, t))
        inserts = [
            ("customers", Customer, CUSTOMER_COLUMNS, customer_rows),
            ("identities", CustomerIdentity, IDENTITY_COLUMNS, identity_rows),
            ("tickets", Ticket, TICKET_COLUMNS, ticket_rows),
            ("ticket_tags", Ticket.tags.through, ["ticket_id", "tag_id"], tag_rows),
            ("messages", Message, MESSAGE_COLUMNS, message_rows),
            ("events", TicketEvent, EVENT_COLUMNS, event_rows),
        ]
        for key, _model, _columns, rows in inserts:
            self.counts[key] += len(rows)
        return inserts


def _write(inserts: list[tuple], *, skip_fk_checks: bool = False) -> None:
    """Write one planned batch (the caller holds the transaction its ids were reserved in)."""
    writer = Writer()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Demo data: losing the last batch in a crash is fine, waiting for the WAL is not.
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            if skip_fk_checks:
                # Foreign keys are right by construction (the SQLite tests check them); the
                # deferred checks at commit cost about a third of the time.
                cursor.execute("SET LOCAL session_replication_role = replica")
    for _key, model, columns, rows in inserts:
        writer.insert(model, columns, rows, encoded=("data",))


def _may_skip_fk_checks() -> bool:
    """Skipping FK triggers needs a PostgreSQL superuser."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    return bool(row and row[0])


def _report(progress, done: int, total: int) -> None:
    if progress:
        progress(done, total)


def seed_demo(
    *,
    tickets: int,
    days: int = 90,
    seed: int = 1,
    batch: int = 5000,
    progress: Callable[[int, int], None] | None = None,
    password: str | None = None,
    skip_fk_checks: bool = False,
) -> dict:
    """Write `tickets` demo tickets spread over the last `days` days; returns counts.

    Deterministic for a given `seed` (up to the ids the database hands out and "now").
    Reference data (channels, teams, agents, tags, canned responses) is reused by name;
    `password`, when given, is set on agents created now (otherwise they cannot log in).
    `skip_fk_checks` (PostgreSQL superuser only, else ignored) skips foreign-key triggers.
    """
    if tickets < 0 or days < 1 or batch < 1:
        raise ValueError("tickets must be >= 0, days and batch >= 1")
    started = time.monotonic()
    rng = random.Random(seed)
    with transaction.atomic():
        ref = reference_ensure(password=password)
    now = timezone.now().timestamp()
    times = creation_times(rng, count=tickets, days=days, now=now)
    seeder = _Seeder(ref, rng, now)
    unchecked = skip_fk_checks and _may_skip_fk_checks()
    if progress:
        progress(0, tickets)
    for start in range(0, tickets, batch):
        with transaction.atomic():
            _write(seeder.plan(times[start : start + batch]), skip_fk_checks=unchecked)
        if start + batch < tickets:
            _report(progress, start + batch, tickets)
    _report(progress, tickets, tickets)
    elapsed = time.monotonic() - started
    return {
        **seeder.counts,
        "seconds": round(elapsed, 2),
        "tickets_per_second": round(tickets / elapsed, 1) if elapsed else 0.0,
        "fk_checks_skipped": unchecked,
    }
