"""The dashboard pages read the daily rollups (and one-pass queries) and give exactly the
raw-row figures: each figure on the hand-built dataset of test_rollup, with and without
the rollups."""

from decimal import Decimal

import pytest

from metrics import rollup
from metrics.filters import MetricFilter
from metrics.models import MetricsSettings, RevenueEvent
from metrics.selectors import planning
from metrics.selectors.quality import metric_bot_contained, metric_resolution_quality
from metrics.selectors.revenue import metric_revenue
from tests.factories.tickets import CustomerFactory
from tests.metrics.conftest import at, make_ticket
from tests.metrics.test_rollup import _clock_at_now, day, periods, world  # noqa: F401

pytestmark = pytest.mark.django_db


def _raw(monkeypatch):
    """Force every selector onto the raw rows (the reference)."""
    monkeypatch.setattr(rollup, "supports", lambda f: False)


def _buy(order, customer, when, amount="100"):
    RevenueEvent.objects.create(
        order_id=order, customer=customer, amount=Decimal(amount), occurred_at=when
    )


def test_roi_from_rollups_equals_raw(world, monkeypatch):  # noqa: F811
    t = world["tickets"]
    _buy("1", t["a1"].customer, day(-20))
    _buy("2", t["a1"].customer, day(-7))
    _buy("3", t["b2"].customer, day(-11))
    fast = {}
    for f in periods(world):
        fast[f] = planning.metric_roi(f)
        assert fast[f].inputs.bot_solved == metric_bot_contained(f)
    assert any(r.inputs.bot_solved for r in fast.values())  # c1 is bot-only
    assert rollup.plan(periods(world)[0], 7).clean
    _raw(monkeypatch)
    for f, report in fast.items():
        raw = planning.metric_roi(f)
        assert report.inputs == raw.inputs
        assert report.result == raw.result
        quality = metric_resolution_quality(f, window_days=7)
        assert raw.inputs.bot_solved == quality.bot_contained


def test_revenue_counts_per_solved_ticket():
    """A customer counts as churned when one of its solved tickets had a purchase before
    and none in the window after, even if another of its tickets was followed by one."""
    a, b = CustomerFactory(), CustomerFactory()
    make_ticket(created=at(0), frt_min=5, solved=at(1), customer=a)
    make_ticket(created=at(2), frt_min=5, solved=at(3), customer=a)
    make_ticket(created=at(0), frt_min=5, solved=at(1), customer=b)
    _buy("1", a, at(-3))
    _buy("2", a, at(2, 12))  # after the first solve (within 30 days), before the second
    _buy("3", b, at(1))  # exactly at b's solve: after it, not before
    _buy("4", b, at(31))  # exactly at the window's end: outside
    r = metric_revenue(MetricFilter(start=at(0), end=at(7)), window_days=30)
    assert (r.served_customers, r.retained_customers) == (2, 2)
    assert (r.had_bought_before, r.churned) == (1, 1)
    assert r.events == 2 and r.attributed == Decimal("200")
    assert MetricsSettings.load().attribution_window_days == 30


def test_operations_cards_from_rollups_equal_raw(world, monkeypatch):  # noqa: F811
    from metrics.dashboards import page_operations

    fast = {f: page_operations(f).as_dict() for f in periods(world)}
    _raw(monkeypatch)
    for f, page in fast.items():
        raw = page_operations(f).as_dict()
        assert page == raw
    cards = {c["key"]: c for c in fast[periods(world)[0]]["cards"]}
    assert cards["nst"]["raw"] == 9 and cards["fcr"]["raw"] is not None


def test_business_hours_frt_mean_alone(world):  # noqa: F811
    from metrics.models import TicketFact
    from metrics.selectors.responsiveness import metric_frt_business, metric_frt_business_mean

    t = world["tickets"]
    for i, key in enumerate(("a1", "a2", "b2", "n1")):
        TicketFact.objects.update_or_create(
            ticket=t[key], defaults={"frt_business_seconds": 60.0 * (i + 1) ** 2}
        )
    for f in periods(world):
        assert metric_frt_business_mean(f) == metric_frt_business(f).mean
    assert metric_frt_business_mean(periods(world)[1]) == pytest.approx((60 + 240 + 540 + 960) / 4)
