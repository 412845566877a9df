"""The daily rollups give the summary exactly the raw figures: on a hand-built dataset with
tickets spanning the period edges, reopened and bot-only tickets, and after every kind of
incremental change made through the ticket services."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from metrics import rollup
from metrics.filters import MetricFilter
from metrics.models import FactDay, RollupDirty, TicketFact
from metrics.selectors.summary import metric_summary
from tests.factories.tickets import (
    ChannelFactory,
    CustomerFactory,
    TagFactory,
    TeamFactory,
    UserFactory,
)
from tests.metrics.conftest import bot_message, make_ticket
from tickets.inbound import InboundMessage, SenderIdentity
from tickets.models import Status, Ticket
from tickets.services import (
    receive,
    ticket_assign,
    ticket_reply,
    ticket_set_priority,
    ticket_set_status,
    ticket_set_team,
)

pytestmark = pytest.mark.django_db
_seq = iter(range(1, 10**6))

NOW = timezone.now()
if NOW - rollup.day_start(rollup.utc_day(NOW)) < timedelta(hours=2):
    # The dataset puts tickets at 00:30-00:50 of TODAY and expects them in the past: in the
    # first hours of a UTC day the tests run as of two hours earlier (the day before).
    NOW -= timedelta(hours=2)
TODAY = rollup.day_start(rollup.utc_day(NOW))


@pytest.fixture(autouse=True)
def _clock_at_now():
    """Every test starts at NOW, however long the suite ran before it (periods end near NOW)."""
    with time_machine.travel(NOW, tick=True):
        yield


def day(n, hours=0, minutes=0, seconds=0.0):
    """n days before today's UTC midnight (negative n: earlier), plus a time of day."""
    return TODAY + timedelta(days=n, hours=hours, minutes=minutes, seconds=seconds)


def same(f: MetricFilter) -> dict:
    fast = metric_summary(f)
    raw = metric_summary(f, fast=False)
    assert fast["current"] == raw["current"]
    assert fast["previous"] == raw["previous"]
    return fast["current"]


@pytest.fixture
def world(db):
    tg, web = ChannelFactory(kind="telegram"), ChannelFactory(kind="generic")
    team = TeamFactory()
    agent = UserFactory(username="anna", role="operator")
    tag = TagFactory()
    a, b, c = CustomerFactory(), CustomerFactory(), CustomerFactory()
    t = {}
    # Customer a: a ticket before the period, three inside (repeat contact), one came back.
    t["a0"] = make_ticket(created=day(-12), frt_min=5, solved=day(-12, 2), customer=a, channel=tg)
    t["a1"] = make_ticket(
        created=day(-9, 8), frt_min=7.25, solved=day(-8, 1), customer=a, channel=tg, team=team
    )
    t["a2"] = make_ticket(created=day(-6, 23, 59), frt_min=90, solved=day(-5, 3), customer=a)
    t["a3"] = make_ticket(created=day(-3, 10), frt_min=12.5, customer=a, channel=web, team=team)
    # Customer b: spanning the start edge (created before, answered inside), reopened.
    t["b1"] = make_ticket(created=day(-10, 6), frt_min=60 * 30, solved=day(-8, 4), customer=b)
    t["b2"] = make_ticket(
        created=day(-7, 12),
        frt_min=3,
        solved=day(-4, 9),
        replies=2,
        reopen_count=1,
        customer=b,
        assignee=agent,
        priority="high",
    )
    TicketFact.objects.create(
        ticket=t["b2"],
        first_solved_at=day(-6),
        last_solved_at=day(-4, 9),
        resolution_seconds=(day(-6) - day(-7, 12)).total_seconds(),
    )
    # Customer c: bot-only (solved, no human reply), silent solve, unanswered, merged.
    t["c1"] = make_ticket(created=day(-5, 1), solved=day(-5, 1, 5), customer=c, channel=web)
    bot_message(t["c1"], day(-5, 1, 1))
    t["c2"] = make_ticket(created=day(-2, 4), solved=day(-2, 5), customer=c)
    t["c3"] = make_ticket(created=day(-1, 22), customer=c, channel=tg)
    t["c4"] = make_ticket(created=day(-1, 23), customer=c, merged_into=t["c3"])
    # Today: created, answered (a sub-second FRT) and created and solved.
    t["n1"] = make_ticket(created=day(0, 0, 30), frt_min=1 / 3 + 0.004 / 60, customer=b)
    t["n2"] = make_ticket(created=day(0, 0, 40), frt_min=2, solved=day(0, 0, 50), customer=c)
    t["a1"].tags.add(tag)
    rollup.rollup_rebuild(rollup.utc_day(day(-14)), rollup.utc_day(day(0)))
    return {"tickets": t, "tg": tg, "web": web, "team": team, "agent": agent, "tag": tag}


def periods(world):
    edge = MetricFilter(start=day(-9, 7, 30), end=NOW + timedelta(minutes=1))
    aligned = MetricFilter(start=day(-10), end=day(1))
    return [
        edge,
        aligned,
        MetricFilter(start=day(-6, 12), end=day(-2, 4, 30)),
        replace(edge, channel=world["tg"].pk),
        replace(edge, team=world["team"].pk),
        replace(aligned, agent=world["agent"].pk, priority="high"),
        replace(edge, tag=world["tag"].pk),  # not on the rollup keys: raw
    ]


def test_rollup_equals_raw_on_hand_built_dataset(world):
    for f in periods(world):
        same(f)
    figures = same(periods(world)[0])
    assert figures["nst"] == 9  # a1, a2, a3, b2, c1, c2, c3 (c4 merged), n1, n2
    assert rollup.plan(periods(world)[0], 7).clean  # the whole days come from rollups


def test_plan_splits_whole_days_and_raw_edges(world):
    f = MetricFilter(start=day(-3, 6), end=day(0, 12))
    p = rollup.plan(f, 7)
    assert p.clean == [rollup.utc_day(day(-2)), rollup.utc_day(day(-1))]
    assert p.raw == [(day(-3, 6), day(-2)), (day(0), day(0, 12))]
    f_other_window = rollup.plan(f, 30)
    assert f_other_window.clean == []  # built with another FCR window: raw


def write(channel, text, user):
    msg = InboundMessage(
        channel_id=channel.pk,
        external_message_id=f"r{next(_seq)}",
        sender=SenderIdentity(external_id=user, name=user),
        text=text,
        sent_at=timezone.now(),
    )
    return receive(msg=msg).message.ticket


def test_rollup_stays_exact_after_incremental_changes(world, django_capture_on_commit_callbacks):
    t, agent = world["tickets"], world["agent"]
    fs = periods(world)

    def check():
        for f in fs:
            same(f)

    # A ticket from 3 days ago gets its first human reply and is solved today.
    ticket_reply(ticket=t["a3"], author=agent, text="Looking")
    assert RollupDirty.objects.exists()
    check()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_set_status(ticket=Ticket.objects.get(pk=t["a3"].pk), status=Status.SOLVED)
    check()
    # Reopen a ticket solved 8 days ago (no recorded solve: every day since creation).
    ticket_set_status(ticket=Ticket.objects.get(pk=t["b1"].pk), status=Status.OPEN)
    check()
    # Dimension changes of a ticket solved in the past.
    ticket_assign(ticket=Ticket.objects.get(pk=t["a2"].pk), assignee=agent)
    ticket_set_priority(ticket=Ticket.objects.get(pk=t["a2"].pk), priority="urgent")
    ticket_set_team(ticket=Ticket.objects.get(pk=t["c1"].pk), team=world["team"])
    check()
    # Everything rebuilt: the rollups serve every whole day again, still exact.
    assert rollup.rollup_refresh(until=rollup.utc_day(day(0))) > 0
    assert not RollupDirty.objects.exists()
    check()
    # A solve recorded by metrics, then a reopen: only that solve's day is marked.
    with django_capture_on_commit_callbacks(execute=True):
        ticket_set_status(ticket=Ticket.objects.get(pk=t["c3"].pk), status=Status.SOLVED)
    rollup.rollup_refresh(until=rollup.utc_day(day(0)))
    ticket_set_status(ticket=Ticket.objects.get(pk=t["c3"].pk), status=Status.OPEN)
    marks = list(RollupDirty.objects.values_list("day_from", "day_to"))
    assert (rollup.utc_day(NOW), rollup.utc_day(NOW)) in marks
    check()


def test_customer_coming_back_marks_the_solved_day(world, django_capture_on_commit_callbacks):
    channel = world["tg"]
    first = write(channel, "Hello", "ivan")
    ticket_reply(ticket=first, author=world["agent"], text="Hi")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_set_status(ticket=Ticket.objects.get(pk=first.pk), status=Status.SOLVED)
    Ticket.objects.filter(pk=first.pk).update(status=Status.CLOSED, closed_at=day(-2, 13))
    # Move it two days back (bypassing the services), then rebuild those days.
    Ticket.objects.filter(pk=first.pk).update(
        created_at=day(-2, 9),
        first_customer_message_at=day(-2, 9),
        first_response_at=day(-2, 9, 10),
        solved_at=day(-2, 12),
    )
    TicketFact.objects.filter(pk=first.pk).update(
        first_solved_at=day(-2, 12),
        last_solved_at=day(-2, 12),
        resolution_seconds=3 * 3600,
    )
    rollup.rollup_rebuild(rollup.utc_day(day(-3)), rollup.utc_day(day(0)))
    f = MetricFilter(start=day(-3, 1), end=NOW + timedelta(minutes=1))
    before = same(f)
    second = write(channel, "Me again", "ivan")  # closed ticket: a new one, within 7 days
    assert second.pk != first.pk
    after = same(f)
    assert after["nst"] == before["nst"] + 1
    assert after["fcr"] < before["fcr"]


def test_merge_and_empty_periods(world):
    same(MetricFilter(start=datetime(2020, 1, 1, tzinfo=UTC), end=datetime(2020, 3, 1, tzinfo=UTC)))
    f = periods(world)[0]
    t = world["tickets"]
    Ticket.objects.filter(pk=t["a2"].pk).update(merged_into=t["a3"])
    rollup.rollup_mark(t["a2"].created_at, NOW)  # a change outside the services: mark it
    same(f)
    rollup.rollup_refresh(until=rollup.utc_day(day(0)))
    same(f)
    assert FactDay.objects.filter(day=rollup.utc_day(day(-6))).exists()
