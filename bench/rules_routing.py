"""Time rules + routing per inbound message with 200 active rules; print the median.

    createdb -h 127.0.0.1 -U postgres helpdesk_rules
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_rules \\
        .venv/bin/python bench/rules_routing.py --rules 200 --messages 200 --runs 5

Migrates the database, keeps the default taxonomy and adds generated rules up to `--rules`
active message rules (keyword, regex, channel, customer and priority conditions; most do not
match, as in life). A team of 5 online agents takes the tickets round-robin. Each message is a
new customer's (a new ticket: the costliest path: ticket-created rules, message rules, team,
agent lock and assignment). The automation subscribers are wrapped with a timer, so the figure
is exactly what rules and routing add to `receive()`, including their database writes.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
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


def seed(total_rules: int) -> None:
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


_depth = [0]


def timed(fn, bucket: list[float], *, mine: bool):
    """Time a subscriber. Ours: the total; another app's (sla) reacting to a change our
    actions made: counted separately, so both figures are printed."""

    def wrapper(**kw):
        if not mine and not _depth[0]:
            return fn(**kw)
        _depth[0] += mine
        start = time.perf_counter()
        try:
            return fn(**kw)
        finally:
            _depth[0] -= mine
            if not (mine and _depth[0]):  # nested in one of ours: inside the outer timer
                bucket.append(time.perf_counter() - start)

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from tickets import dispatch
    from tickets.automation import receivers
    from tickets.automation.models import Rule
    from tickets.inbound import InboundMessage, SenderIdentity
    from tickets.models import Customer, Ticket
    from tickets.services import receive

    call_command("migrate", verbosity=0)
    channel = seed(args.rules)
    active = Rule.objects.filter(is_active=True, trigger="message_received").count()

    spent: list[float] = []
    foreign: list[float] = []
    ours = {fn for _event, fn in receivers.SUBSCRIPTIONS}
    for event, fns in list(dispatch._subscribers.items()):
        for fn in list(fns):
            dispatch.unsubscribe(event, fn)
            if fn in ours:
                dispatch.subscribe(event, timed(fn, spent, mine=True))
            else:
                dispatch.subscribe(event, timed(fn, foreign, mine=False))

    per_run = []
    sla_runs = []
    totals = []
    stamp = int(time.time())
    for run in range(args.runs + 1):  # the first run warms caches and is not counted
        spent.clear()
        foreign.clear()
        start = time.perf_counter()
        for i in range(args.messages):
            receive(
                msg=InboundMessage(
                    channel_id=channel.pk,
                    external_message_id=f"bench-{stamp}-{run}-{i}",
                    sender=SenderIdentity(external_id=f"bench-{stamp}-{run}-{i}", name="Bench"),
                    text=TEXTS[i % len(TEXTS)],
                    sent_at=timezone.now(),
                )
            )
        total = time.perf_counter() - start
        if run:
            per_run.append((sum(spent) - sum(foreign)) / args.messages * 1000)
            sla_runs.append(sum(foreign) / args.messages * 1000)
            totals.append(total / args.messages * 1000)
    from tickets.rules.apply import context_build, rules_load
    from tickets.rules.engine import rules_evaluate

    specs, used = rules_load(trigger="message_received")
    ticket = Ticket.objects.filter(channel=channel).select_related("channel", "customer").last()
    message = ticket.messages.first()
    ctx = context_build(ticket=ticket, message=message, trigger="message_received", used=used)
    start = time.perf_counter()
    for _ in range(1000):
        ctx.__dict__.pop("text_normalized", None)
        rules_evaluate(specs, ctx)
    pure = (time.perf_counter() - start) / 1000 * 1000
    Ticket.objects.filter(channel=channel).delete()
    Customer.objects.filter(name="Bench", tickets__isnull=True).delete()

    print(f"database: {connection.vendor}; active message rules: {active}")
    print(f"messages per run: {args.messages}; runs: {args.runs}")
    print("rules+routing ms/message per run:", ", ".join(f"{v:.2f}" for v in per_run))
    print(f"pure evaluation of {len(specs)} rules (no database): {pure:.3f} ms/message")
    print(f"median rules+routing: {statistics.median(per_run):.2f} ms/message")
    print(
        "other apps' subscribers reacting to those changes (sla), median: "
        f"{statistics.median(sla_runs):.2f} ms/message"
    )
    print(f"median whole receive(): {statistics.median(totals):.2f} ms/message")


if __name__ == "__main__":
    main()
