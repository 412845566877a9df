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


def _bins_one_count_each(f):
    """The same bins the plain way, as the oracle: one conditional count per bin and
    outcome over the answers with a first response."""
    from django.db.models import Count, Q

    from metrics.models import SurveyKind
    from metrics.selectors.responsiveness import frt_seconds
    from metrics.whatif import FrtBin

    edges = planning.WHATIF_EDGES
    qs = surveys.responses(f, SurveyKind.CSAT).filter(ticket__first_response_at__isnull=False)
    aggs = {}
    for i, low in enumerate(edges):
        q = Q(_frt__gte=low * 60)
        if i + 1 < len(edges):
            q &= Q(_frt__lt=edges[i + 1] * 60)
        aggs[f"n{i}"] = Count("pk", filter=q)
        aggs[f"g{i}"] = Count("pk", filter=q & Q(score__gte=4))
    row = qs.annotate(_frt=frt_seconds("ticket__")).aggregate(**aggs)
    return [
        FrtBin(
            low=low,
            high=edges[i + 1] if i + 1 < len(edges) else None,
            answers=row[f"n{i}"],
            positive=row[f"g{i}"],
        )
        for i, low in enumerate(edges)
    ]


def test_grouped_bins_equal_one_count_per_bin(answers, period, django_assert_num_queries):
    with django_assert_num_queries(1):
        bins = surveys.metric_frt_csat_bins(period, planning.WHATIF_EDGES)
    assert bins == _bins_one_count_each(period)
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
    assert empty == _bins_one_count_each(other)
    assert sum(b.answers for b in surveys.metric_frt_csat_bins(period, [0, 60])) == 12


def test_quality_page_reads_the_grouped_bins(answers, period):
    from metrics.dashboards_value import page_quality

    page = page_quality(period)
    table = next(t for t in page.tables if t.name == "frt_csat")
    assert [r["answers"] for r in table.rows] == [2, 2, 1, 1, 1, 1, 2, 2]


@pytest.fixture
def scored(channel):
    from tests.factories.tickets import ChannelFactory

    other = ChannelFactory(kind="generic")
    answers = {
        "csat": (5, 4, 3, 1),
        "nps": (10, 9, 8, 7, 6, 0),
        "ces": (7, 2, 2),
    }
    for kind, scores in answers.items():
        for score in scores:
            _answer(make_ticket(created=at(1), frt_min=5, channel=channel), score, kind=kind)
    _answer(make_ticket(created=at(1), frt_min=5, channel=other), 1, kind="csat")
    _answer(make_ticket(created=at(1), frt_min=5, channel=other), 1, kind="ces")
    _answer(make_ticket(created=at(1), frt_min=5, channel=channel), 1, kind="nps", when=at(-1))
    merged_into = make_ticket(created=at(1), frt_min=3, channel=channel)
    merged = make_ticket(created=at(1), frt_min=3, channel=channel, merged_into=merged_into)
    _answer(merged, 1, kind="csat")


def test_scores_in_one_query_equal_one_query_per_kind(
    scored, period, channel, django_assert_num_queries
):
    from dataclasses import replace

    from metrics.selectors.common import Rate

    by_channel = replace(period, channel=channel.pk)
    empty = replace(period, start=at(20), end=at(21))
    for f in (period, by_channel, period.previous(), empty):
        with django_assert_num_queries(1):
            s = surveys.metric_scores(f)
        assert (s.csat, s.nps, s.ces) == (
            surveys.metric_csat(f),
            surveys.metric_nps(f),
            surveys.metric_ces(f),
        )
    s = surveys.metric_scores(period)
    assert s.csat == Rate(2, 5)
    assert s.nps == surveys.Nps(6, 2, 2)
    assert s.ces == surveys.Ces(4, 3.0)
    c = surveys.metric_scores(by_channel)
    assert (c.csat, c.ces) == (Rate(2, 4), surveys.Ces(3, round(11 / 3, 3)))
    e = surveys.metric_scores(empty)
    assert (e.csat, e.nps, e.ces) == (Rate(0, 0), surveys.Nps(0, 0, 0), surveys.Ces(0, None))


def test_quality_page_query_count(scored, period, django_assert_num_queries):
    from metrics.dashboards_value import page_quality

    with django_assert_num_queries(6):
        page = page_quality(period)
    assert (page.cards[0].raw, page.cards[0].previous) == (0.4, None)
    assert (page.cards[1].raw, page.cards[1].previous) == (0.0, -100.0)
