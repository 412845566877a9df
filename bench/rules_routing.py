"""What rules and routing add to each inbound message with 200 active rules; medians.

    createdb -h 127.0.0.1 -U postgres helpdesk_rules
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_rules \\
        .venv/bin/python bench/rules_routing.py --rules 200 --messages 100 --runs 5
    HELPDESK_VAR_DIR=/tmp/rules-bench .venv/bin/python bench/rules_routing.py   # SQLite

Migrates the database, keeps the default taxonomy and adds generated rules up to `--rules`
active message rules (keyword, regex, channel, customer and priority conditions; most do not
match, as in life). A team of 5 online agents takes the tickets round-robin. Each message is a
new customer's (a new ticket: the costliest path: ticket-created rules, message rules, team,
agent lock and assignment); `--follow-ups` also sends a second message on every ticket.

Every dispatcher subscriber is wrapped with a timer and every query is counted against the
subscriber running it, exclusively (a subscriber's time excludes the subscribers it sets off):

- rules + routing: the automation subscribers (rules, bot, routing) with their own writes;
- SLA reaction: `sla`'s subscribers while they react to those writes (TICKET_UPDATED);
- other reactions: the other apps' subscribers (metrics marks, outgoing webhooks) likewise;
- whole receive(): the wall time of `tickets.services.receive()` per message, all included.

Medians over `--runs` (a first, uncounted run warms the caches). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

TEXTS = [
    "Здравствуйте! Где мой заказ 1042? Трек-номер не обновляется",
    "С карты списали деньги дважды, верните пожалуйста",
    "Подскажите, какой размер выбрать для ребёнка 5 лет?",
    "Приложение не работает, вылетает при входе",
    "Hi, where is my order? Tracking has not changed for days",
    "I was charged twice, please refund one payment",
    "Could you recommend a model for kids?",
    "Thanks a lot, great service!",
]

OURS, SLA, OTHER, INTAKE = "rules+routing", "sla reaction", "other reactions", "intake"


def seed(total_rules: int):
    from tickets.automation.models import ChannelSettings, Rule, TeamRouting
    from tickets.models import AgentProfile, Channel, Team

    Rule.objects.filter(name__startswith="bench ").delete()
    active = Rule.objects.filter(is_active=True, trigger="message_received").count()
    kinds = [
        lambda i: [{"type": "text_contains", "words": [f"слово{i}", f"word{i}", f"термин{i}"]}],
        lambda i: [{"type": "text_regex", "pattern": rf"\border[- ]?{i}\d\b"}],
        lambda i: [
            {"type": "channel_kind", "kinds": ["email"]},
            {"type": "text_contains", "words": [f"тема{i}"]},
        ],
        lambda i: [
            {"type": "customer_language", "languages": ["de"]},
            {"type": "priority", "priorities": ["low"]},
        ],
        lambda i: [
            {"type": "has_tag", "tags": [f"tag{i}"]},
            {"type": "customer_repeat", "value": True},
        ],
    ]
    Rule.objects.bulk_create(
        Rule(
            name=f"bench {i}",
            position=1000 + i,
            conditions=kinds[i % len(kinds)](i),
            actions=[{"type": "add_tag", "tag": f"bench-{i}"}],
        )
        for i in range(max(total_rules - active, 0))
    )
    team, _ = Team.objects.get_or_create(name="bench team")
    TeamRouting.objects.update_or_create(
        team=team, defaults={"strategy": "round_robin", "sticky": True}
    )
    channel, _ = Channel.objects.get_or_create(
        name="bench channel", defaults={"kind": "telegram", "secret": "x"}
    )
    ChannelSettings.objects.update_or_create(channel=channel, defaults={"default_team": team})
    from django.contrib.auth import get_user_model

    for i in range(5):
        user, _ = get_user_model().objects.get_or_create(username=f"bench-agent-{i}")
        agent, _ = AgentProfile.objects.get_or_create(
            user=user, defaults={"capacity": 30_000, "online_state": "online"}
        )
        agent.teams.add(team)
    return channel


class Ledger:
    """Exclusive time and queries per owner: the innermost running subscriber owns them."""

    def __init__(self) -> None:
        self.stack: list[list] = []  # [owner, started, time spent in nested subscribers]
        self.time: dict[str, float] = defaultdict(float)
        self.queries: dict[str, int] = defaultdict(int)

    def reset(self) -> None:
        self.time.clear()
        self.queries.clear()

    def owner_of(self, fn) -> str:
        from tickets.automation import receivers

        if fn in {f for _e, f in receivers.SUBSCRIPTIONS}:
            return OURS
        if not any(frame[0] == OURS for frame in self.stack):
            return ""  # not set off by automation: part of the intake itself
        return SLA if fn.__module__.startswith("sla.") else OTHER

    def wrap(self, fn):
        def wrapper(**kw):
            owner = self.owner_of(fn)
            if not owner:
                return fn(**kw)
            frame = [owner, time.perf_counter(), 0.0]
            self.stack.append(frame)
            try:
                return fn(**kw)
            finally:
                self.stack.pop()
                spent = time.perf_counter() - frame[1]
                self.time[owner] += spent - frame[2]
                if self.stack:
                    self.stack[-1][2] += spent

        return wrapper

    def count(self, execute, sql, params, many, context):
        self.queries[self.stack[-1][0] if self.stack else INTAKE] += 1
        return execute(sql, params, many, context)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--follow-ups", action="store_true", help="also a second message each")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from tickets import dispatch
    from tickets.automation.models import Rule
    from tickets.inbound import InboundMessage, SenderIdentity
    from tickets.models import Customer, Ticket
    from tickets.services import receive

    call_command("migrate", verbosity=0)
    channel = seed(args.rules)
    active = Rule.objects.filter(is_active=True, trigger="message_received").count()

    ledger = Ledger()
    for event, fns in list(dispatch._subscribers.items()):
        for fn in list(fns):
            dispatch.unsubscribe(event, fn)
            dispatch.subscribe(event, ledger.wrap(fn))

    def send(external_id: str, user: str, text: str) -> float:
        msg = InboundMessage(
            channel_id=channel.pk,
            external_message_id=external_id,
            sender=SenderIdentity(external_id=user, name="Bench"),
            text=text,
            sent_at=timezone.now(),
        )
        start = time.perf_counter()
        receive(msg=msg)
        return time.perf_counter() - start

    per_run: dict[str, list[float]] = defaultdict(list)
    queries: dict[str, list[float]] = defaultdict(list)
    stamp = int(time.time())
    phases = ["new ticket", "follow-up"] if args.follow_ups else ["new ticket"]
    with connection.execute_wrapper(ledger.count):
        for run in range(args.runs + 1):  # the first run warms caches and is not counted
            for phase in phases:
                ledger.reset()
                total = 0.0
                for i in range(args.messages):
                    user = f"bench-{stamp}-{run}-{i}"
                    total += send(f"{user}-{phase}", user, TEXTS[i % len(TEXTS)])
                if not run:
                    continue
                n = args.messages
                per_run[(phase, "receive")].append(total / n * 1000)
                queries[(phase, "receive")].append(sum(ledger.queries.values()) / n)
                for owner in (OURS, SLA, OTHER):
                    per_run[(phase, owner)].append(ledger.time[owner] / n * 1000)
                    queries[(phase, owner)].append(ledger.queries[owner] / n)

    from tickets.rules.apply import context_build, rules_load
    from tickets.rules.engine import rules_evaluate

    specs, used = rules_load(trigger="message_received")
    ticket = Ticket.objects.filter(channel=channel).select_related("channel", "customer").last()
    message = ticket.messages.first()
    ctx = context_build(ticket=ticket, message=message, trigger="message_received", used=used)
    pure = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(1000):
            ctx.__dict__.pop("text_normalized", None)
            rules_evaluate(specs, ctx)
        pure.append((time.perf_counter() - start) / 1000 * 1000)
    Ticket.objects.filter(channel=channel).delete()
    Customer.objects.filter(name="Bench", tickets__isnull=True).delete()

    print(f"database: {connection.vendor}; active message rules: {active}")
    print(f"messages per run: {args.messages}; runs: {args.runs} (+1 warm-up)")
    print(f"pure evaluation of {len(specs)} rules (no database): {statistics.median(pure):.3f} ms")
    for phase in phases:
        print(f"-- {phase}: median ms/message (runs) · queries/message")
        for part in (OURS, SLA, OTHER, "receive"):
            runs = per_run[(phase, part)]
            label = "whole receive()" if part == "receive" else part
            print(
                f"{label:>18}: {statistics.median(runs):7.2f} ms "
                f"({', '.join(f'{v:.2f}' for v in runs)}) · "
                f"{statistics.median(queries[(phase, part)]):.1f} queries"
            )


if __name__ == "__main__":
    main()
