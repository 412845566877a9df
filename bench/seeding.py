"""Seed a PostgreSQL bench database once, in stages, and remember what is done.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench_100k \\
        .venv/bin/python bench/seeding.py --tickets 100000

Stages, in order, each skipped when the marker says it is done:

- migrate     `manage.py migrate` (always run: a no-op when the schema is current)
- demo        `seed_demo --tickets N --skip-fk-checks`: customers, tickets, messages, tags, events
- facts       per-ticket metric facts (business-hours FRT, first solve), as `metrics_backfill`
              records them, but with the policies and calendars read once (the command asks
              for each ticket's policy, tags and calendar: about 30 tickets/s, so 9 hours at 1M)
- sla         one SLA clock per ticket and metric (first response, resolution), set from the
              ticket's own times against the policy its priority matches (calendar time):
              met or breached for answered / solved tickets, running or already breached for
              active ones; then `Ticket.sla_due_at` as `sla` keeps it
- surveys     survey answers (CSAT/NPS/CES) and CRM revenue events (`metrics.demo`)
- busy        a customer with 500 tickets (the customer card figure)
- stats       `ANALYZE`: planner statistics of the new rows, before the rollups query them
- rollups     `metrics_rollup_rebuild`: the daily metric rollups
- analyze     `VACUUM ANALYZE`

The marker is the database's comment (`COMMENT ON DATABASE`), a JSON object
{"helpdesk_bench": {"tickets": N, "stages": [...], "complete": true}}: a database whose marker
says complete for the same N is reused as it is, so repeated bench runs never reseed; the marker
also names the metrics migration the rollups were built for ("metrics_schema"), and a reused
database whose schema moved on gets its rollups rebuilt. A run
interrupted mid-stage leaves that stage unmarked; the demo stage is the only one that cannot
be safely repeated, so an interrupted demo stage fails loudly and asks for a fresh database.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

# "stats" before the rollups: their per-ticket subqueries need the planner's statistics of
# the freshly written tables (without them one week of rollups ran for over 10 minutes).
# "busy" before the rollups too: its bulk insert emits no ticket events, so rollups built
# before it would not count its tickets (the summary bench's raw-path check caught that).
STAGES = ["migrate", "demo", "facts", "sla", "surveys", "busy", "stats", "rollups", "analyze"]
BUSY_CUSTOMER_EMAIL = "busy-customer@bench.example.org"
BUSY_TICKETS = 500


def marker_read() -> dict:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
            "WHERE datname = current_database()"
        )
        comment = cur.fetchone()[0]
    try:
        return json.loads(comment or "{}").get("helpdesk_bench", {})
    except ValueError:
        return {}


def marker_write(marker: dict) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT current_database()")
        name = connection.ops.quote_name(cur.fetchone()[0])
        text = json.dumps({"helpdesk_bench": marker}).replace("'", "''")
        cur.execute(f"COMMENT ON DATABASE {name} IS '{text}'")


def _stage_demo(tickets: int) -> None:
    from django.core.management import call_command

    from tickets.models import Ticket

    if Ticket.objects.exists():
        sys.exit(
            "The database has tickets but its marker does not say the demo stage finished "
            "(an interrupted seed?). Drop it and run again: dropdb -h 127.0.0.1 -U postgres <db>"
        )
    call_command("seed_demo", tickets=tickets, skip_fk_checks=True, no_progress=True)


SLA_CLOCKS_SQL = """
WITH t AS (
    SELECT t.id, t.status, t.created_at,
           COALESCE(t.first_customer_message_at, t.created_at) AS asked_at,
           t.first_response_at, COALESCE(t.solved_at, t.closed_at) AS solved_at,
           (SELECT p.id FROM sla_slapolicy p
             WHERE p.is_active AND (p.priorities = '[]'::jsonb OR p.priorities ? t.priority)
             ORDER BY p.position, p.id LIMIT 1) AS policy_id
      FROM tickets_ticket t
     WHERE NOT EXISTS (SELECT 1 FROM sla_slaclock c WHERE c.ticket_id = t.id)
),
c AS (
    SELECT t.id AS ticket_id, m.metric, t.policy_id, t.status, m.started_at, m.stopped_at,
           (CASE m.metric WHEN 'first_response' THEN p.first_response_minutes
                          ELSE p.resolution_minutes END) * 60 AS target
      FROM t
      JOIN sla_slapolicy p ON p.id = t.policy_id
      CROSS JOIN LATERAL (VALUES ('first_response', t.asked_at, t.first_response_at),
                                 ('resolution', t.created_at, t.solved_at))
           AS m(metric, started_at, stopped_at)
),
d AS (
    SELECT c.*, c.started_at + make_interval(secs => c.target) AS due_at,
           c.started_at + make_interval(secs => c.target * 0.75) AS warn_at
      FROM c
     WHERE c.stopped_at IS NOT NULL OR c.status IN ('new', 'open', 'pending', 'on_hold')
)
INSERT INTO sla_slaclock (
    ticket_id, metric, policy_id, cycle, status, business, target_seconds, elapsed_seconds,
    started_at, running_since, due_at, warn_at, warned_at, paused_at, paused_seconds,
    breached_at, stopped_at, escalation_level, next_escalation_at, updated_at)
SELECT ticket_id, metric, policy_id, 1,
       CASE WHEN stopped_at IS NOT NULL AND stopped_at <= due_at THEN 'met'
            WHEN stopped_at IS NULL AND due_at > now() THEN 'running'
            ELSE 'breached' END,
       false, target,
       CASE WHEN stopped_at IS NOT NULL
            THEN extract(epoch FROM stopped_at - started_at) ELSE 0 END,
       started_at,
       CASE WHEN stopped_at IS NULL AND due_at > now() THEN started_at END,
       due_at, warn_at,
       CASE WHEN warn_at <= COALESCE(stopped_at, now()) THEN warn_at END,
       NULL, 0,
       CASE WHEN COALESCE(stopped_at, now()) > due_at THEN due_at END,
       stopped_at,
       CASE WHEN stopped_at IS NULL AND due_at <= now() THEN 2 ELSE 0 END,
       NULL,
       -- last changed at its last transition, as the SLA services leave it (the rollups
       -- read clocks changed in the last minutes raw, so "now" would defeat them)
       LEAST(now(), COALESCE(stopped_at, CASE WHEN due_at <= now() THEN due_at END,
                             started_at))
  FROM d
"""

SLA_DUE_SQL = """
UPDATE tickets_ticket t SET sla_due_at = n.due
  FROM (SELECT ticket_id, min(due_at) AS due FROM sla_slaclock
         WHERE status IN ('running', 'breached') AND stopped_at IS NULL
         GROUP BY ticket_id) n
 WHERE t.id = n.ticket_id AND t.sla_due_at IS DISTINCT FROM n.due
"""


def _stage_sla() -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(SLA_CLOCKS_SQL)
        print(f"  {cur.rowcount:,} SLA clocks", flush=True)
        cur.execute(SLA_DUE_SQL)
        print(f"  sla_due_at set on {cur.rowcount:,} tickets", flush=True)


def _stage_busy() -> None:
    """A customer with 500 tickets on one channel (the last one open), made like seed_demo's."""
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from tickets.models import Channel, Customer, Message, Ticket

    with transaction.atomic():
        customer, _ = Customer.objects.get_or_create(
            email=BUSY_CUSTOMER_EMAIL, defaults={"name": "Busy Bench Customer"}
        )
        have = Ticket.objects.filter(customer=customer).count()
        channel = Channel.objects.order_by("pk").first()
        now = timezone.now()
        made = []
        for n in range(have, BUSY_TICKETS):
            at = now - timedelta(hours=2 * (BUSY_TICKETS - n))
            last = n == BUSY_TICKETS - 1
            made.append(
                Ticket(
                    subject=f"Order question {n + 1}",
                    customer=customer,
                    channel=channel,
                    status="open" if last else "closed",
                    created_at=at,
                    updated_at=at,
                    first_customer_message_at=at,
                    last_customer_message_at=at,
                    solved_at=None if last else at + timedelta(minutes=30),
                    closed_at=None if last else at + timedelta(minutes=30),
                    last_message_preview=f"Where is my order {1000 + n}?",
                )
            )
        Ticket.objects.bulk_create(made, batch_size=500)
        Message.objects.bulk_create(
            [
                Message(
                    ticket=t,
                    channel=channel,
                    direction="in",
                    author_kind="customer",
                    text=t.last_message_preview,
                    sent_at=t.created_at,
                    created_at=t.created_at,
                    external_id=f"busy-{t.pk}",
                )
                for t in made
            ],
            batch_size=500,
        )


def _stage_facts() -> None:
    """What `manage.py metrics_backfill` writes, batch by batch, without per-ticket queries."""
    from metrics.models import TicketFact
    from sla.business_time import seconds_between
    from sla.selectors import TicketFacts, sla_calendar_load, sla_policies_active, sla_policy_match
    from tickets.models import Ticket

    policies = sla_policies_active()
    calendars: dict[int, object] = {}
    through = Ticket.tags.through
    last, done = 0, 0
    while True:
        rows = list(
            Ticket.objects.filter(pk__gt=last, first_response_at__isnull=False)
            .order_by("pk")
            .values_list(
                "pk", "priority", "channel__kind", "team_id", "created_at",
                "first_customer_message_at", "first_response_at", "solved_at",
            )[:5000]
        )  # fmt: skip
        if not rows:
            break
        tags: dict[int, set[int]] = {}
        pairs = through.objects.filter(ticket_id__gte=rows[0][0], ticket_id__lte=rows[-1][0])
        for ticket_id, tag_id in pairs.values_list("ticket_id", "tag_id"):
            tags.setdefault(ticket_id, set()).add(tag_id)
        facts = []
        for pk, priority, kind, team, created, asked, answered, solved in rows:
            frt = None
            if asked and answered:
                policy = policies and sla_policy_match(
                    facts=TicketFacts(
                        priority=priority,
                        channel_kind=kind,
                        team_id=team,
                        tag_ids=frozenset(tags.get(pk, ())),
                    ),
                    policies=policies,
                )
                calendar = None
                if policy and policy.business_hours and policy.calendar_id:
                    if policy.calendar_id not in calendars:
                        calendars[policy.calendar_id] = sla_calendar_load(calendar=policy.calendar)
                    calendar = calendars[policy.calendar_id]
                frt = float(seconds_between(asked, answered, calendar))
            facts.append(
                TicketFact(
                    ticket_id=pk,
                    first_solved_at=solved,
                    last_solved_at=solved,
                    resolution_seconds=(solved - created).total_seconds() if solved else None,
                    frt_business_seconds=frt,
                )
            )
        TicketFact.objects.bulk_create(facts, ignore_conflicts=True, batch_size=5000)
        done += len(rows)
        last = rows[-1][0]
    print(f"  facts for {done:,} tickets", flush=True)


def _run_stage(stage: str, tickets: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    if stage == "migrate":
        call_command("migrate", verbosity=0, interactive=False)
    elif stage == "demo":
        _stage_demo(tickets)
    elif stage == "facts":
        _stage_facts()
    elif stage == "sla":
        _stage_sla()
    elif stage == "surveys":
        from metrics.demo import seed_metrics_demo

        print(f"  {seed_metrics_demo(seed=1)}", flush=True)
    elif stage == "stats":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    elif stage == "rollups":
        call_command("metrics_rollup_rebuild", days_per_batch=7)
    elif stage == "busy":
        _stage_busy()
    elif stage == "analyze":
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")


def _metrics_schema() -> str:
    """The latest applied metrics migration: the rollups were built for this schema."""
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder

    names = MigrationRecorder(connection).migration_qs.filter(app="metrics")
    return max(names.values_list("name", flat=True), default="")


def seed(tickets: int) -> dict:
    """Bring the configured database to `tickets` seeded tickets with every stage done."""
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("The bench databases are PostgreSQL: set DATABASE_URL.")
    marker = marker_read()
    if marker.get("tickets") not in (None, tickets):
        sys.exit(
            f"{connection.settings_dict['NAME']} holds a {marker['tickets']}-ticket bench seed, "
            f"not {tickets}: use another database."
        )
    if marker.get("complete"):
        print(f"{connection.settings_dict['NAME']}: seeded ({tickets:,} tickets), reused")
        _run_stage("migrate", tickets)
        if marker.get("metrics_schema") != _metrics_schema():
            # The metrics migrations changed since the rollups were built: new rollup
            # tables start empty (read raw, slowly), so build them again.
            for stage in ("rollups", "analyze"):
                print(f"{connection.settings_dict['NAME']}: {stage} (metrics schema) ...")
                start = time.monotonic()
                _run_stage(stage, tickets)
                print(f"  {stage}: {time.monotonic() - start:.1f} s", flush=True)
            marker["metrics_schema"] = _metrics_schema()
            marker_write(marker)
        return marker
    done = list(marker.get("stages", []))
    seconds = marker.get("seconds", {})
    marker = {"tickets": tickets, "stages": done, "complete": False, "seconds": seconds}
    for stage in STAGES:
        if stage in done:
            continue
        print(f"{connection.settings_dict['NAME']}: {stage} ...", flush=True)
        start = time.monotonic()
        _run_stage(stage, tickets)
        marker["seconds"][stage] = round(time.monotonic() - start, 1)
        if stage == "rollups":
            marker["metrics_schema"] = _metrics_schema()
        if stage != "migrate":
            done.append(stage)
            marker_write(marker)
        print(f"  {stage}: {marker['seconds'][stage]} s", flush=True)
    marker["complete"] = True
    marker_write(marker)
    return marker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, required=True)
    args = parser.parse_args()
    seed(args.tickets)


if __name__ == "__main__":
    main()
