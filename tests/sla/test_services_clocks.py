"""Timers moved by ticket events, through the real ticket services and the dispatcher."""

import datetime as dt

import pytest
import time_machine

from sla.models import ClockStatus, Metric, SlaClock, SlaEvent
from tests.factories.sla import BusinessCalendarFactory
from tests.factories.tickets import TagFactory
from tests.sla.conftest import T0
from tickets.models import AuthorKind, Status, TicketEvent
from tickets.services import (
    ticket_reply,
    ticket_set_priority,
    ticket_set_status,
    ticket_set_tags,
)

pytestmark = pytest.mark.django_db
MIN = dt.timedelta(minutes=1)


def clock(ticket, metric):
    return SlaClock.objects.get(ticket=ticket, metric=metric)


def test_a_new_ticket_starts_first_response_and_resolution(policy, customer_says):
    with time_machine.travel(T0, tick=False):
        ticket = customer_says()
    first = clock(ticket, Metric.FIRST_RESPONSE)
    assert first.status == ClockStatus.RUNNING
    assert first.due_at == T0 + 60 * MIN
    assert first.warn_at == T0 + 45 * MIN  # 75 % by default
    assert first.policy == policy
    assert clock(ticket, Metric.RESOLUTION).due_at == T0 + 480 * MIN
    assert not SlaClock.objects.filter(ticket=ticket, metric=Metric.NEXT_RESPONSE).exists()


def test_first_response_stops_at_the_first_human_public_reply(policy, customer_says, agent):
    with time_machine.travel(T0, tick=False):
        ticket = customer_says()
    with time_machine.travel(T0 + 10 * MIN, tick=False):
        ticket_reply(ticket=ticket, author=None, text="Bot menu", author_kind=AuthorKind.BOT)
        ticket_reply(ticket=ticket, author=agent, text="checking", internal=True)
    assert clock(ticket, Metric.FIRST_RESPONSE).status == ClockStatus.RUNNING
    with time_machine.travel(T0 + 20 * MIN, tick=False):
        ticket_reply(ticket=ticket, author=agent, text="Hi, on it")
    first = clock(ticket, Metric.FIRST_RESPONSE)
    assert first.status == ClockStatus.MET
    assert first.stopped_at == T0 + 20 * MIN
    assert first.elapsed_seconds == 20 * 60
    assert SlaEvent.objects.filter(clock=first, kind="met").count() == 1
    logged = TicketEvent.objects.get(ticket=ticket, kind="sla_met")
    assert logged.data["metric"] == "first_response"
    assert logged.data["elapsed_seconds"] == 1200


def test_a_late_reply_before_the_sweep_is_still_a_breach(policy, customer_says, agent):
    with time_machine.travel(T0, tick=False):
        ticket = customer_says()
    with time_machine.travel(T0 + 75 * MIN, tick=False):
        ticket_reply(ticket=ticket, author=agent, text="Sorry for the wait")
    first = clock(ticket, Metric.FIRST_RESPONSE)
    assert first.status == ClockStatus.BREACHED
    assert first.breached_at == T0 + 60 * MIN
    assert first.stopped_at == T0 + 75 * MIN
    assert TicketEvent.objects.filter(ticket=ticket, kind="sla_breached").exists()


def test_next_response_restarts_on_each_customer_message(policy, customer_says, agent):
    with time_machine.travel(T0, tick=False):
        ticket = customer_says()
    with time_machine.travel(T0 + 5 * MIN, tick=False):
        ticket_reply(ticket=ticket, author=agent, text="Hi")
    with time_machine.travel(T0 + 30 * MIN, tick=False):
        customer_says("still broken")
    nxt = clock(ticket, Metric.NEXT_RESPONSE)
    assert (nxt.status, nxt.cycle, nxt.due_at) == (ClockStatus.RUNNING, 1, T0 + 150 * MIN)
    with time_machine.travel(T0 + 40 * MIN, tick=False):
        customer_says("hello??")  # already waiting: the clock keeps its start
    assert clock(ticket, Metric.NEXT_RESPONSE).due_at == T0 + 150 * MIN
    with time_machine.travel(T0 + 50 * MIN, tick=False):
        ticket_reply(ticket=ticket, author=agent, text="Fixed")
    assert clock(ticket, Metric.NEXT_RESPONSE).status == ClockStatus.MET
    with time_machine.travel(T0 + 60 * MIN, tick=False):
        customer_says("thanks, one more thing")
    nxt = clock(ticket, Metric.NEXT_RESPONSE)
    assert (nxt.status, nxt.cycle, nxt.due_at) == (ClockStatus.RUNNING, 2, T0 + 180 * MIN)


def test_resolution_pauses_while_pending_and_resumes_when_the_customer_writes(
    policy, customer_says, agent
):
    with time_machine.travel(T0, tick=False):
        ticket = customer_says()
    with time_machine.travel(T0 + 60 * MIN, tick=False):
        ticket_reply(ticket=ticket, author=agent, text="Please send a screenshot")
        ticket_set_status(ticket=ticket, status=Status.PENDING, actor=agent)
    res = clock(ticket, Metric.RESOLUTION)
    assert res.status == ClockStatus.PAUSED
    assert (res.due_at, res.elapsed_seconds) == (None, 3600)
    with time_machine.travel(T0 + 300 * MIN, tick=False):
        customer_says("here it is")
    res = clock(ticket, Metric.RESOLUTION)
    assert res.status == ClockStatus.RUNNING
    assert res.paused_seconds == 240 * 60
    assert res.due_at == T0 + (300 + 420) * MIN  # 7 hours of the 8 left


def test_resolution_on_hold_resumes_when_status_goes_active(policy, customer_says, agent):
    with time_machine.travel(T0, tick=False):
        ticket = customer_says()
    with time_machine.travel(T0 + 30 * MIN, tick=False):
        ticket_set_status(ticket=ticket, status=Status.ON_HOLD, actor=agent)
    with time_machine.travel(T0 + 90 * MIN, tick=False):
        ticket_set_status(ticket=ticket, status=Status.OPEN, actor=agent)
    res = clock(ticket, Metric.RESOLUTION)
    assert (res.status, res.due_at) == (ClockStatus.RUNNING, T0 + 540 * MIN)


def test_solve_stops_every_clock_and_reopen_restarts_resolution(policy, customer_says, agent):
    with time_machine.travel(T0, tick=False):
        ticket = customer_says()
    with time_machine.travel(T0 + 50 * MIN, tick=False):
        ticket_set_status(ticket=ticket, status=Status.SOLVED, actor=agent)
    res = clock(ticket, Metric.RESOLUTION)
    assert (res.status, res.elapsed_seconds) == (ClockStatus.MET, 3000)
    # Solving without a reply fulfils the first-response target too.
    assert clock(ticket, Metric.FIRST_RESPONSE).status == ClockStatus.MET
    with time_machine.travel(T0 + 200 * MIN, tick=False):
        ticket_set_status(ticket=ticket, status=Status.OPEN, actor=agent)
    res = clock(ticket, Metric.RESOLUTION)
    assert (res.status, res.cycle, res.due_at) == (ClockStatus.RUNNING, 2, T0 + 680 * MIN)
    with time_machine.travel(T0 + 210 * MIN, tick=False):
        ticket_set_status(ticket=ticket, status=Status.SOLVED, actor=agent)
    with time_machine.travel(T0 + 300 * MIN, tick=False):
        customer_says("it broke again")  # a customer message reopens the solved ticket
    res = clock(ticket, Metric.RESOLUTION)
    assert (res.status, res.cycle, res.due_at) == (ClockStatus.RUNNING, 3, T0 + 780 * MIN)
    assert SlaEvent.objects.filter(clock=res, kind="met").count() == 2


def test_business_hours_policy_counts_only_open_time(policy, customer_says, agent):
    policy.business_hours = True
    policy.calendar = BusinessCalendarFactory()
    policy.save()
    friday_five = dt.datetime(2025, 3, 7, 17, 0, tzinfo=dt.UTC)
    with time_machine.travel(friday_five, tick=False):
        ticket = customer_says()
    first = clock(ticket, Metric.FIRST_RESPONSE)
    assert first.business
    assert first.due_at == dt.datetime(2025, 3, 7, 18, tzinfo=dt.UTC)
    assert clock(ticket, Metric.RESOLUTION).due_at == dt.datetime(2025, 3, 10, 16, tzinfo=dt.UTC)
    monday = dt.datetime(2025, 3, 10, 9, 30, tzinfo=dt.UTC)
    with time_machine.travel(monday, tick=False):
        ticket_reply(ticket=ticket, author=agent, text="Good morning")
    first = clock(ticket, Metric.FIRST_RESPONSE)
    assert first.status == ClockStatus.BREACHED  # 90 business minutes
    assert first.elapsed_seconds == 90 * 60


def test_a_policy_change_recomputes_open_timers(policy, customer_says):
    from sla.services import sla_policy_recompute

    with time_machine.travel(T0, tick=False):
        ticket = customer_says()
    with time_machine.travel(T0 + 10 * MIN, tick=False):
        policy.first_response_minutes = 30
        policy.resolution_minutes = None
        policy.save()
        assert sla_policy_recompute(policy=policy) == 2
    first = clock(ticket, Metric.FIRST_RESPONSE)
    assert first.due_at == T0 + 30 * MIN
    assert first.elapsed_seconds == 600
    assert not SlaClock.objects.filter(ticket=ticket, metric=Metric.RESOLUTION).exists()


def test_a_priority_change_moves_the_ticket_to_the_matching_policy(policy, customer_says):
    from tests.factories.sla import SlaPolicyFactory

    urgent = SlaPolicyFactory(
        name="Urgent", position=0, priorities=["urgent"], first_response_minutes=15
    )
    with time_machine.travel(T0, tick=False):
        ticket = customer_says()
    assert clock(ticket, Metric.FIRST_RESPONSE).policy == policy
    with time_machine.travel(T0 + 5 * MIN, tick=False):
        ticket_set_priority(ticket=ticket, priority="urgent")
    first = clock(ticket, Metric.FIRST_RESPONSE)
    assert (first.policy, first.due_at) == (urgent, T0 + 15 * MIN)


def test_tagging_vip_moves_the_ticket_to_the_vip_policy(policy, customer_says):
    from tests.factories.sla import SlaPolicyFactory

    vip = TagFactory(name="vip")
    vip_policy = SlaPolicyFactory(name="VIP", position=0, tags=[vip], first_response_minutes=10)
    with time_machine.travel(T0, tick=False):
        ticket = customer_says()
        ticket_set_tags(ticket=ticket, add=[vip])
    assert clock(ticket, Metric.FIRST_RESPONSE).policy == vip_policy
    assert clock(ticket, Metric.FIRST_RESPONSE).due_at == T0 + 10 * MIN
