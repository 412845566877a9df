"""CSAT by first response time: one grouped query, the same bins as one count per bin."""

from datetime import timedelta

import pytest

from metrics.models import Survey, SurveyResponse
from metrics.selectors import planning, surveys
from tests.metrics.conftest import at, make_ticket

pytestmark = pytest.mark.django_db


def _answer(ticket, score, *, kind="csat", when=None):
    when = when or at(2)
    survey = Survey.objects.create(
        kind=kind,
        ticket=ticket,
        customer=ticket.customer,
        channel=ticket.channel,
        sent_at=when - timedelta(hours=1),
        expires_at=when + timedelta(days=5),
        answered_at=when,
    )
    return SurveyResponse.objects.create(
        survey=survey,
        kind=kind,
        score=score,
        ticket=ticket,
        customer=ticket.customer,
        channel=ticket.channel,
        created_at=when,
    )


@pytest.fixture
def answers(channel):
    # FRT in minutes beside the bin edges 0, 5, 15, ..., 480 (a second off: SQLite's
    # julianday arithmetic is not exact on an edge), with their scores.
    for frt, score in (
        (0.5, 5),
        (4.99, 4),
        (5.02, 3),
        (14, 5),
        (15.02, 1),
        (59, 4),
        (60.02, 5),
        (239, 2),
        (240.02, 4),
        (479.5, 5),
        (480.02, 3),
        (5000, 5),
    ):
        _answer(make_ticket(created=at(1), frt_min=frt, channel=channel), score)
    _answer(make_ticket(created=at(1), frt_min=-3, channel=channel), 5)  # negative: left out
    _answer(make_ticket(created=at(1), channel=channel), 5)  # no first response
    no_start = make_ticket(created=at(1), frt_min=10, channel=channel)
    no_start.first_customer_message_at = None
    no_start.save(update_fields=["first_customer_message_at"])
    _answer(no_start, 5)  # no FRT without the first customer message
    merged_into = make_ticket(created=at(1), frt_min=3, channel=channel)
    merged = make_ticket(created=at(1), frt_min=3, channel=channel, merged_into=merged_into)
    _answer(merged, 5)  # merged tickets are left out
    _answer(make_ticket(created=at(1), frt_min=3, channel=channel), 9, kind="nps")  # not CSAT
    _answer(make_ticket(created=at(1), frt_min=3, channel=channel), 5, when=at(9))  # later


def test_grouped_bins_equal_one_count_per_bin(answers, period, django_assert_num_queries):
    with django_assert_num_queries(1):
        bins = surveys.metric_frt_csat_bins(period, planning.WHATIF_EDGES)
    assert bins == planning.metric_frt_csat_bins(period)
    assert [(b.low, b.high, b.answers, b.positive) for b in bins] == [
        (0, 5, 2, 2),
        (5, 15, 2, 1),
        (15, 30, 1, 0),
        (30, 60, 1, 1),
        (60, 120, 1, 1),
        (120, 240, 1, 0),
        (240, 480, 2, 2),
        (480, None, 2, 1),
    ]


def test_grouped_bins_follow_the_filters_and_empty_bins(answers, period, channel):
    from dataclasses import replace

    from tests.factories.tickets import ChannelFactory

    other = replace(period, channel=ChannelFactory(kind="generic").pk)
    empty = surveys.metric_frt_csat_bins(other, planning.WHATIF_EDGES)
    assert [(b.answers, b.positive) for b in empty] == [(0, 0)] * len(planning.WHATIF_EDGES)
    assert empty == planning.metric_frt_csat_bins(other)
    assert sum(b.answers for b in surveys.metric_frt_csat_bins(period, [0, 60])) == 12


def test_quality_page_reads_the_grouped_bins(answers, period):
    from metrics.dashboards_value import page_quality

    page = page_quality(period)
    table = next(t for t in page.tables if t.name == "frt_csat")
    assert [r["answers"] for r in table.rows] == [2, 2, 1, 1, 1, 1, 2, 2]
