"""The revenue card in three queries: the retained customers come with the attributed revenue,
the churned ones with those who had bought before; the same customers as one count each."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Count, Exists, OuterRef

from metrics.filters import MetricFilter
from metrics.models import RevenueEvent
from metrics.selectors.responsiveness import solved_tickets
from metrics.selectors.revenue import metric_attributed, metric_retained, metric_revenue
from tests.factories.tickets import ChannelFactory, CustomerFactory
from tests.metrics.conftest import at, make_ticket

pytestmark = pytest.mark.django_db
WINDOW = 30


def _buy(order, customer, when, amount="100"):
    RevenueEvent.objects.create(
        order_id=order, customer=customer, amount=Decimal(amount), occurred_at=when
    )


def _retained_per_solve(f):
    """The former count: customers with a solve in the period and an event in the window."""
    after = RevenueEvent.objects.filter(
        customer_id=OuterRef("customer_id"),
        occurred_at__gte=OuterRef("solved_at"),
        occurred_at__lt=OuterRef("solved_at") + timedelta(days=WINDOW),
    )
    qs = solved_tickets(f).filter(Exists(after))
    return qs.aggregate(n=Count("customer_id", distinct=True))["n"]


@pytest.fixture
def world(channel):
    other = ChannelFactory(kind="generic")
    c = {k: CustomerFactory() for k in "abcdefg"}
    solve = at(2)
    for key in "abcdef":
        make_ticket(created=at(1), frt_min=5, solved=solve, customer=c[key], channel=channel)
    make_ticket(created=at(1), frt_min=5, solved=solve, customer=c["g"], channel=other)
    _buy("a-at-solve", c["a"], solve)  # at the solve: inside
    _buy("a-again", c["a"], solve + timedelta(days=3))  # a second event, same customer
    _buy("b-window-end", c["b"], solve + timedelta(days=WINDOW))  # at the window's end: out
    _buy("c-last-second", c["c"], solve + timedelta(days=WINDOW) - timedelta(seconds=1))
    _buy("d-before", c["d"], solve - timedelta(seconds=1))  # before the solve: not retained
    _buy("g-other-channel", c["g"], solve + timedelta(days=1))
    _buy("e-before", c["e"], solve - timedelta(days=1))  # bought before and after: retained
    _buy("e-after", c["e"], solve + timedelta(days=1))
    # f: a second solve with a purchase before it and none after it: churned and retained.
    make_ticket(created=at(4), frt_min=5, solved=at(5), customer=c["f"], channel=channel)
    _buy("f-between", c["f"], at(3))
    _buy("unmatched", None, solve + timedelta(days=1))
    return c


@pytest.fixture
def whole(period):
    return MetricFilter(start=period.start, end=period.end)


def test_retained_equals_the_per_solve_count(world, whole, channel):
    by_channel = replace(whole, channel=channel.pk)
    for f, expected in ((whole, 5), (by_channel, 4)):  # a, c, e, f (+ g on another channel)
        r = metric_revenue(f, window_days=WINDOW)
        assert r.retained_customers == expected
        assert r.retained_customers == _retained_per_solve(f)
        assert r.retained_customers == metric_retained(f, window_days=WINDOW)
        assert metric_attributed(f, window_days=WINDOW, customers=True)["c"] == expected
        assert "c" not in metric_attributed(f, window_days=WINDOW)


def test_revenue_card_in_three_queries(world, whole, django_assert_num_queries):
    with django_assert_num_queries(3):
        r = metric_revenue(whole, window_days=WINDOW)
    assert (r.served_customers, r.retained_customers, r.had_bought_before, r.churned) == (
        7,
        5,
        3,
        2,
    )
    assert (r.attributed, r.events) == (Decimal("600"), 6)


def test_attributed_events_at_the_edges_of_the_reachable_time(channel):
    """Only events from the period start to its end + the window can follow a solve of the
    period; the first and last instant of that span both count."""
    f = MetricFilter(start=at(0), end=at(7))
    early, late = CustomerFactory(), CustomerFactory()
    make_ticket(created=at(-1), frt_min=5, solved=at(0), customer=early, channel=channel)
    last = at(7) - timedelta(seconds=1)
    make_ticket(created=at(6), frt_min=5, solved=last, customer=late, channel=channel)
    _buy("at-start", early, at(0), "1")
    _buy("before-start", early, at(0) - timedelta(seconds=1), "2")
    _buy("last-instant", late, last + timedelta(days=WINDOW) - timedelta(seconds=1), "4")
    _buy("window-end", late, last + timedelta(days=WINDOW), "8")
    assert metric_attributed(f, window_days=WINDOW) == {"s": Decimal("5"), "n": 2}
    assert metric_attributed(f, window_days=WINDOW, customers=True)["c"] == 2
