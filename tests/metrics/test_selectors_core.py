"""Every core metric on a hand-built dataset, to the exact expected value."""

from dataclasses import replace
from datetime import timedelta

import pytest

from metrics.filters import MetricFilter
from metrics.selectors.common import DurationStats, Rate
from metrics.selectors.quality import metric_repeat_contact, metric_resolution_quality
from metrics.selectors.responsiveness import metric_frt, metric_resolution
from metrics.selectors.volume import metric_backlog_series, metric_nst
from tests.factories.tickets import ChannelFactory, CustomerFactory, TagFactory, TeamFactory
from tests.metrics.conftest import at, bot_message, make_ticket

pytestmark = pytest.mark.django_db


def test_no_data_gives_zero_counts_and_none_values(period):
    assert metric_nst(period).value == 0
    assert metric_frt(period) == DurationStats(0, None, None, None)
    assert metric_resolution(period) == DurationStats(0, None, None, None)
    q = metric_resolution_quality(period, window_days=7)
    assert q.solved == 0 and q.fcr_rate.value is None and q.replies_per_ticket is None
    assert metric_repeat_contact(period) == Rate(0, 0)


def test_nst_counts_created_in_half_open_period(period):
    make_ticket(created=at(-1, hours=23, minutes=59))  # before: not counted
    make_ticket(created=at(0))  # the first instant: counted
    make_ticket(created=at(6, hours=14, minutes=59, seconds=59))
    make_ticket(created=at(7))  # the end is exclusive
    assert metric_nst(period).value == 2


def test_frt_mean_median_p90_docs_example(period):
    """docs/metrics.md: FRT 4, 12 and 50 min → AFRT 22 min, median 12 min."""
    for minutes in (4, 12, 50):
        make_ticket(created=at(1), frt_min=minutes)
    make_ticket(created=at(1))  # unanswered: left out
    frt = metric_frt(period)
    assert frt.count == 3
    assert frt.mean == 22 * 60
    assert frt.median == 12 * 60
    # percentile_cont(0.9) over [4, 12, 50]: position 1.8 → 12 + 0.8 × 38 = 42.4 min
    assert frt.p90 == pytest.approx(42.4 * 60, abs=0.01)


def test_frt_ignores_bot_replies_and_uses_first_customer_message(period, channel):
    t = make_ticket(created=at(2), frt_min=12, channel=channel)
    bot_message(t, at(2, seconds=5))
    assert metric_frt(period).mean == 720


def test_ticket_spanning_period_edge_counts_where_it_was_created(period):
    make_ticket(created=at(-1), frt_min=60 * 30)  # created before, answered inside
    make_ticket(created=at(6, hours=23), frt_min=120)  # created inside, answered after
    frt = metric_frt(period)
    assert frt.count == 1 and frt.mean == 7200


def test_resolution_time_over_tickets_solved_in_period(period):
    make_ticket(created=at(-2), frt_min=5, solved=at(1))  # 3 days
    make_ticket(created=at(1), frt_min=5, solved=at(1, hours=5))  # 5 h
    make_ticket(created=at(1), frt_min=5, solved=at(8))  # solved after: out
    r = metric_resolution(period)
    assert r.count == 2
    assert r.mean == (3 * 86400 + 5 * 3600) / 2
    assert r.median == r.mean


def test_resolution_uses_first_solve_when_recorded(period):
    from metrics.models import TicketFact

    t = make_ticket(created=at(1), frt_min=5, solved=at(3), reopen_count=1)
    TicketFact.objects.create(ticket=t, first_solved_at=at(1, hours=2))
    assert metric_resolution(period).mean == 7200


def test_fcr_one_touch_reopen_docs_example(period):
    """docs/metrics.md: 10 solved; 6 one-reply no-reopen (one customer came back 3 days
    later), 3 with two replies, 1 one-reply reopened → FCR 50 %, one-touch 70 %, reopen 10 %."""
    back = CustomerFactory()
    for i in range(6):
        kw = {"customer": back} if i == 0 else {}
        make_ticket(created=at(0), frt_min=10, solved=at(1), **kw)
    make_ticket(created=at(4), frt_min=10, customer=back)  # 3 days after the solve
    for _ in range(3):
        make_ticket(created=at(0), frt_min=10, replies=2, solved=at(1))
    make_ticket(created=at(0), frt_min=10, solved=at(1), reopen_count=1)
    q = metric_resolution_quality(period, window_days=7)
    assert q.solved == 10
    assert q.fcr_rate == Rate(5, 10)
    assert q.one_touch_rate == Rate(7, 10)
    assert q.reopen_rate == Rate(1, 10)
    assert q.replies_per_ticket == 1.3
    # A 2-day window no longer sees the return 3 days later.
    assert metric_resolution_quality(period, window_days=2).fcr == 6


def test_bot_containment_needs_a_bot_answer_and_no_human_reply(period):
    bot_only = make_ticket(created=at(1), solved=at(1, hours=1))
    bot_message(bot_only, at(1, seconds=5))
    make_ticket(created=at(1), solved=at(1, hours=1))  # solved silently: not contained
    helped = make_ticket(created=at(1), frt_min=3, solved=at(1, hours=1))
    bot_message(helped, at(1, seconds=5))
    q = metric_resolution_quality(period, window_days=7)
    assert q.bot_containment == Rate(1, 3)


def test_repeat_contact_rate(period):
    a, b, c = CustomerFactory(), CustomerFactory(), CustomerFactory()
    make_ticket(created=at(1), customer=a)
    make_ticket(created=at(2), customer=a)
    make_ticket(created=at(1), customer=b)
    make_ticket(created=at(-3), customer=c)  # outside
    make_ticket(created=at(3), customer=c)
    assert metric_repeat_contact(period) == Rate(1, 3)


def test_backlog_series_docs_example():
    """docs/metrics.md: A created 1 Nov solved 3 Nov, B created 2 Nov open, C created 4 Nov."""
    from datetime import UTC, datetime

    nov = lambda d, h=12: datetime(2026, 11, d, h, tzinfo=UTC)  # noqa: E731
    make_ticket(created=nov(1), frt_min=5, solved=nov(3))
    make_ticket(created=nov(2), frt_min=5)
    make_ticket(created=nov(4))
    f = MetricFilter(start=nov(1, 0), end=nov(5, 0))
    points = [nov(2, 23), nov(3, 23), nov(4, 23)]
    import time_machine

    with time_machine.travel(nov(20), tick=False):
        series = metric_backlog_series(f, points)
        assert [p.total for p in series] == [2, 1, 2]
        assert metric_nst(replace(f, end=nov(5, 0))).value == 3


def test_filters_channel_team_agent_tag_priority(period):
    from tests.factories.tickets import UserFactory

    ch, team, tag = ChannelFactory(), TeamFactory(), TagFactory(name="vip")
    agent = UserFactory(role="operator")
    t = make_ticket(
        created=at(1), frt_min=10, channel=ch, team=team, assignee=agent, priority="high"
    )
    t.tags.add(tag)
    make_ticket(created=at(1), frt_min=20)
    assert metric_nst(period).value == 2
    for dim in (
        {"channel": ch.pk},
        {"team": team.pk},
        {"agent": agent.pk},
        {"tag": tag.pk},
        {"priority": "high"},
    ):
        f = replace(period, **dim)
        assert metric_nst(f).value == 1, dim
        assert metric_frt(f).mean == 600, dim


def test_merged_tickets_never_count(period):
    target = make_ticket(created=at(1))
    make_ticket(created=at(1), merged_into=target, status="closed")
    assert metric_nst(period).value == 1


def test_previous_period_has_same_length(period):
    prev = period.previous()
    assert prev.end == period.start and prev.length == period.length
    assert prev.start == period.start - timedelta(days=7)
