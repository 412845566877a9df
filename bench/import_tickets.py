"""Time `manage.py import_tickets` on a realistic file of N tickets (default 100,000).

    createdb -h 127.0.0.1 -U postgres helpdesk_h4_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_h4_bench \\
        .venv/bin/python bench/import_tickets.py --tickets 100000 [--json out.json]

Migrates the database, writes the file (a year of history: customers who come back, 60
agents, 40 tags, four channel kinds, 2–9 messages a ticket with bot answers and internal
notes, handle time and CSAT on most solved tickets, a few broken lines), then runs the
command as an operator would (its progress bar on stderr) and reports the wall time and
rates. External ids carry a run prefix, so every run imports new tickets; `--reimport`
also times importing the same file again (everything skipped).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

from bench.common import figure, write_json

WORDS = [
    "order",
    "delivery",
    "refund",
    "payment",
    "card",
    "account",
    "password",
    "login",
    "invoice",
    "tracking",
    "parcel",
    "courier",
    "address",
    "change",
    "cancel",
    "broken",
    "missing",
    "late",
    "wrong",
    "size",
    "colour",
    "discount",
    "promo",
    "subscription",
    "renew",
    "bonus",
    "points",
    "app",
    "crash",
    "update",
    "thanks",
    "please",
    "help",
    "urgent",
    "today",
]
TAGS = [f"topic-{i}" for i in range(40)]
AGENTS = [f"agent{i:02d}" for i in range(60)]
TEAMS = ["Support L1", "Support L2", "Billing", "Logistics"]
CHANNELS = ["telegram", "whatsapp", "email", "webchat"]


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def make_line(rng: random.Random, i: int, prefix: str, start: datetime) -> str:
    created = start + timedelta(seconds=rng.randrange(365 * 86400))
    customer = rng.randrange(max(i // 3, 1) + 1)  # a third of tickets from returning people
    status = rng.choices(["solved", "closed", "open", "pending", "new"], weights=[55, 30, 8, 4, 3])[
        0
    ]
    agent = rng.choice(AGENTS)
    t = created
    messages = [
        {
            "direction": "in",
            "author": "customer",
            "sent_at": t.isoformat(),
            "text": _text(rng, rng.randrange(5, 40)),
        }
    ]
    if rng.random() < 0.4:
        t += timedelta(seconds=rng.randrange(1, 10))
        messages.append(
            {"direction": "out", "author": "bot", "sent_at": t.isoformat(), "text": _text(rng, 8)}
        )
    if status != "new":
        for _ in range(rng.randrange(1, 8)):
            t += timedelta(seconds=rng.randrange(30, 4 * 3600))
            kind = rng.random()
            if kind < 0.45:
                messages.append(
                    {
                        "direction": "out",
                        "author": "agent",
                        "agent": agent,
                        "sent_at": t.isoformat(),
                        "text": _text(rng, rng.randrange(5, 30)),
                    }
                )
            elif kind < 0.55:
                messages.append(
                    {
                        "direction": "out",
                        "author": "agent",
                        "agent": agent,
                        "sent_at": t.isoformat(),
                        "text": _text(rng, 6),
                        "internal": True,
                    }
                )
            else:
                messages.append(
                    {
                        "direction": "in",
                        "author": "customer",
                        "sent_at": t.isoformat(),
                        "text": _text(rng, rng.randrange(3, 25)),
                    }
                )
    solved = (
        t + timedelta(seconds=rng.randrange(60, 86400)) if status in ("solved", "closed") else None
    )
    record = {
        "external_id": f"{prefix}-{i}",
        "channel": CHANNELS[customer % len(CHANNELS)],
        "customer": {
            "external_id": f"{prefix}-c{customer}",
            "name": f"Customer {customer}",
            "email": f"c{customer}.{prefix}@example.org",
            "phone": f"+7900{customer:07d}",
        },
        "subject": _text(rng, 5),
        "priority": rng.choices(["low", "normal", "high", "urgent"], weights=[10, 70, 15, 5])[0],
        "tags": rng.sample(TAGS, rng.randrange(0, 4)),
        "status": status,
        "created_at": created.isoformat(),
        "solved_at": solved.isoformat() if solved else None,
        "reopened": rng.random() < 0.06,
        "team": rng.choice(TEAMS),
        "assignee": agent if status != "new" else "",
        "messages": messages,
        "handle_seconds": rng.randrange(60, 1800) if solved and rng.random() < 0.8 else None,
        "csat": rng.choice([1, 2, 3, 4, 4, 5, 5, 5]) if solved and rng.random() < 0.3 else None,
    }
    return json.dumps(record, ensure_ascii=False)


def write_file(path: Path, tickets: int, prefix: str, seed: int) -> int:
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    broken = 0
    with path.open("w", encoding="utf-8") as fh:
        for i in range(tickets):
            if i % 10_000 == 5_000:  # a few broken lines, as real exports have
                fh.write('{"external_id": "broken-' + str(i) + '", "status": \n')
                broken += 1
                continue
            fh.write(make_line(rng, i, prefix, start) + "\n")
    return broken


def backend_cpu(connection) -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend (same host only)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--reimport", action="store_true", help="also time a second import")
    parser.add_argument("--skip-fk-checks", action="store_true", help="passed to the command")
    parser.add_argument("--keep", help="write the file here and keep it")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from tickets.models import Message, Ticket

    call_command("migrate", verbosity=0)
    prefix = f"b{int(time.time())}"
    path = Path(args.keep) if args.keep else Path(tempfile.mkdtemp()) / "tickets.jsonl"
    t0 = time.perf_counter()
    broken = write_file(path, args.tickets, prefix, args.seed)
    size = path.stat().st_size
    print(
        f"file: {args.tickets:,} lines ({broken} broken), {size / 1e6:.0f} MB, "
        f"written in {time.perf_counter() - t0:.1f}s"
    )
    before_t, before_m = Ticket.objects.count(), Message.objects.count()

    load_before = os.getloadavg()[0]
    db0 = backend_cpu(connection)
    t0, cpu0 = time.perf_counter(), time.process_time()
    extra = ["--skip-fk-checks"] if args.skip_fk_checks else []
    call_command("import_tickets", str(path), "--show-errors", "3", *extra)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    db_cpu = backend_cpu(connection) - db0 if db0 is not None else None
    load_after = os.getloadavg()[0]
    tickets = Ticket.objects.count() - before_t
    messages = Message.objects.count() - before_m
    print(
        f"\n{connection.vendor}, {os.cpu_count()} cores: {tickets:,} tickets and "
        f"{messages:,} messages imported in {elapsed:.1f}s "
        f"({tickets / elapsed:,.0f} tickets/s)"
    )
    db_text = f"{db_cpu:.1f}s" if db_cpu is not None else "not measured (remote server)"
    print(
        f"CPU time: this process {cpu:.1f}s, its PostgreSQL backend {db_text}; load average "
        f"{load_before:.1f} before, {load_after:.1f} after (other work on the machine "
        "stretches the wall time)"
    )
    out = [
        figure(
            "import_tickets, 100k-line file"
            if args.tickets == 100_000
            else f"import_tickets, {args.tickets:,} lines",
            unit="s",
            runs=[elapsed],
            target="< 120 s" if args.tickets == 100_000 else "",
            tickets=tickets,
            messages=messages,
            vendor=connection.vendor,
            cpu_seconds=round(cpu, 1),
            db_backend_cpu_seconds=round(db_cpu, 1) if db_cpu is not None else None,
            load_average=round(load_before, 1),
        )
    ]
    if args.reimport:
        t0 = time.perf_counter()
        call_command("import_tickets", str(path), "--show-errors", "0", "--no-progress")
        again = time.perf_counter() - t0
        print(f"re-import of the same file (all skipped): {again:.1f}s")
        out.append(figure("import_tickets, same file again (skipped)", unit="s", runs=[again]))
    if not args.keep:
        path.unlink()
    write_json(args.json, out)


if __name__ == "__main__":
    main()
