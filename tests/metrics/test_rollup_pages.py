"""The dashboard pages read the daily rollups (and one-pass queries) and give exactly the
raw-row figures: each figure on the hand-built dataset of test_rollup, with and without
the rollups."""

from decimal import Decimal

import pytest

from metrics import rollup
from metrics.filters import MetricFilter
from metrics.models import MetricsSettings, RevenueEvent
from metrics.selectors import planning
from metrics.selectors.common import Rate
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


def test_business_hours_frt_mean_alone(world, monkeypatch):  # noqa: F811
    from metrics.models import TicketFact
    from metrics.selectors.responsiveness import metric_frt_business, metric_frt_business_mean

    t = world["tickets"]
    for i, key in enumerate(("a1", "a2", "b2", "n1")):
        TicketFact.objects.update_or_create(
            ticket=t[key], defaults={"frt_business_seconds": 60.0 * (i + 1) ** 2}
        )
    rollup.rollup_rebuild(rollup.utc_day(day(-14)), rollup.utc_day(day(0)))
    fast = {f: metric_frt_business_mean(f) for f in periods(world)}
    _raw(monkeypatch)
    for f, mean in fast.items():
        assert mean == pytest.approx(metric_frt_business_mean(f), rel=1e-12)
        assert metric_frt_business_mean(f) == metric_frt_business(f).mean
    assert fast[periods(world)[1]] == pytest.approx((60 + 240 + 540 + 960) / 4)


def _clock(ticket, metric, status, updated):
    from sla.models import SlaClock

    return SlaClock.objects.create(
        ticket=ticket,
        metric=metric,
        status=status,
        target_seconds=3600,
        started_at=ticket.created_at,
        updated_at=updated,
    )


def _sla_same(world):  # noqa: F811
    from metrics.selectors.sla import metric_sla, metric_sla_breakdown

    out = {}
    for f in periods(world):
        for g in (f, f.previous()):
            fast, raw = metric_sla(g), metric_sla(g, fast=False)
            assert fast == raw
            out[g] = fast
            for by in ("team", "channel", "priority"):
                assert metric_sla_breakdown(g, by) == metric_sla_breakdown(g, by, fast=False)
    return out


def test_sla_rates_from_rollups_equal_raw_and_follow_clock_changes(world):  # noqa: F811
    from metrics.models import RollupWatermark, SlaRollup
    from sla.models import SlaClock

    t = world["tickets"]
    old = day(-20)  # written long before the rollups are built
    _clock(t["a1"], "first_response", "met", old)
    _clock(t["a1"], "resolution", "breached", old)
    _clock(t["b2"], "first_response", "breached", old)
    _clock(t["b2"], "resolution", "met", old)
    _clock(t["c1"], "resolution", "met", old)
    _clock(t["c4"], "resolution", "breached", old)  # merged: never counted
    running = _clock(t["a3"], "resolution", "running", old)
    _clock(t["n2"], "first_response", "met", old)  # today
    late = _clock(t["a2"], "first_response", "met", rollup.timezone.now())  # too recent
    # (The clocks above are backdated: the days are rebuilt after they were written.)
    rollup.rollup_rebuild(rollup.utc_day(day(-14)), rollup.utc_day(day(0)))
    assert SlaRollup.objects.exists()
    assert not SlaRollup.objects.filter(day=rollup.utc_day(t["a2"].created_at)).exists()
    rates = _sla_same(world)
    aligned = periods(world)[1]
    assert rates[aligned].first_response.denominator == 4  # a1, b2, a2 (late), n2
    # The sweep breaches a clock without a ticket event: read from the raw rows at once.
    SlaClock.objects.filter(pk=running.pk).update(
        status="breached", updated_at=rollup.timezone.now()
    )
    late.status = "breached"
    late.save()
    rates = _sla_same(world)
    assert rates[aligned].resolution == Rate(2, 4)  # a1 and a3 breached
    assert rates[aligned].first_response.numerator == 2
    # The refresh rebuilds the days of clocks changed since the watermark, then moves it.
    rollup.rollup_refresh(until=rollup.utc_day(day(-1)))
    assert RollupWatermark.objects.get().clocks_until is not None
    _sla_same(world)


def test_sla_refresh_rebuilds_days_of_changed_clocks(world, monkeypatch):  # noqa: F811
    from metrics.models import FactDay, SlaRollup
    from sla.models import SlaClock

    monkeypatch.setattr(rollup, "SLA_SETTLE", rollup.timedelta(0))
    t = world["tickets"]
    running = _clock(t["a3"], "resolution", "running", day(-20))
    rollup.rollup_refresh(until=rollup.utc_day(day(-1)))  # sets the watermark
    a3_day = rollup.utc_day(t["a3"].created_at)
    assert not SlaRollup.objects.filter(day=a3_day).exists()
    SlaClock.objects.filter(pk=running.pk).update(
        status="breached", updated_at=rollup.timezone.now()
    )
    built = FactDay.objects.get(day=a3_day).built_at
    rollup.rollup_refresh(until=rollup.utc_day(day(-1)))
    assert FactDay.objects.get(day=a3_day).built_at > built
    row = SlaRollup.objects.get(day=a3_day)
    assert (row.metric, row.decided, row.breached) == ("resolution", 1, 1)
    _sla_same(world)


@pytest.mark.parametrize("zone", [None, "Europe/Moscow", "Asia/Kolkata"])
def test_operations_tables_and_charts_from_rollups_equal_raw(world, monkeypatch, zone):  # noqa: F811
    import zoneinfo

    from django.utils import timezone

    from metrics.selectors import distribution

    t = world["tickets"]
    t["a2"].first_customer_message_at = None  # responded, but no FRT
    t["a2"].save(update_fields=["first_customer_message_at"])
    rollup.rollup_rebuild(rollup.utc_day(day(-14)), rollup.utc_day(day(0)))
    if zone:
        timezone.activate(zoneinfo.ZoneInfo(zone))

    def figures(f):
        return {
            "heatmap": distribution.metric_heatmap(f),
            "daily": distribution.metric_daily_by_channel(f),
            "frt": [
                (r["day"], r["answered"], round(r["frt"], 6))
                for r in distribution.metric_daily_frt(f)
            ],
            **{by: distribution.metric_breakdown(f, by) for by in ("channel", "team", "priority")},
        }

    try:
        fast = {f: figures(f) for f in periods(world)}
        _raw(monkeypatch)
        for f, got in fast.items():
            assert got == figures(f)
    finally:
        timezone.deactivate()
    edge = fast[periods(world)[0]]
    assert sum(map(sum, edge["heatmap"])) == 9
    teams = {r.label: r for r in edge["team"]}
    assert (teams["—"].created, teams["—"].answered) == (7, 4)  # a2 answered, no FRT


def test_survey_figures_leave_merged_tickets_out_without_joining_tickets(world):  # noqa: F811
    from metrics.models import Survey, SurveyResponse
    from metrics.selectors import surveys

    t = world["tickets"]
    for key, score in (("a1", 5), ("c4", 1), ("b2", 2)):  # c4 is merged into c3
        ticket = t[key]
        survey = Survey.objects.create(
            kind="csat",
            ticket=ticket,
            customer=ticket.customer,
            channel=ticket.channel,
            sent_at=day(-1),
            expires_at=day(5),
            answered_at=day(-1, 1),
        )
        SurveyResponse.objects.create(
            survey=survey,
            kind="csat",
            score=score,
            ticket=ticket,
            customer=ticket.customer,
            channel=ticket.channel,
            created_at=day(-1, 1),
        )
    f = periods(world)[1]
    assert "tickets_ticket" not in str(surveys.responses(f).query).split("WHERE")[0]
    assert surveys.metric_csat(f) == Rate(1, 2)
    assert surveys.metric_survey_sent(f) == surveys.SurveyStats(2, 2)
    by_channel = MetricFilter(start=f.start, end=f.end, channel=t["a1"].channel_id)
    assert surveys.metric_csat(by_channel) == Rate(1, 1)


def test_roi_result_alone_equals_the_full_report(world):  # noqa: F811
    t = world["tickets"]
    s = MetricsSettings.load()
    s.average_check = Decimal("500")
    s.save()
    _buy("1", t["a1"].customer, day(-7))  # after a1's solve: attributed, a retained
    f = periods(world)[1]
    with_events = planning.metric_roi(f)
    assert with_events.inputs.revenue_events == 1
    assert planning.metric_roi_result(f) == with_events.result
    RevenueEvent.objects.all().delete()
    _buy("2", t["a1"].customer, day(-60))  # long before every solve: nothing attributed
    for g in periods(world):
        assert planning.metric_roi_result(g) == planning.metric_roi(g).result
    assert planning.metric_roi_result(f).revenue_source == "none"


def test_frt_histogram_from_value_buckets_equals_raw(world, monkeypatch):  # noqa: F811
    from metrics.selectors.distribution import metric_frt_histogram

    t = world["tickets"]
    # FRTs on and around the bin edges (5 and 10 minutes, one day).
    for key, minutes in (("a2", 5), ("a3", 10 - 1 / 60), ("c1", 1440), ("c2", 4.999)):
        ticket = t[key]
        ticket.first_response_at = ticket.first_customer_message_at + rollup.timedelta(
            minutes=minutes
        )
        ticket.save(update_fields=["first_response_at"])
    rollup.rollup_rebuild(rollup.utc_day(day(-14)), rollup.utc_day(day(0)))
    fast = {f: metric_frt_histogram(f) for f in periods(world)}
    _raw(monkeypatch)
    for f, bins in fast.items():
        assert bins == metric_frt_histogram(f)
    counts = [b.count for b in fast[periods(world)[1]]]
    # (SQLite computes the 5-minute FRT a hair under 5 minutes; both paths agree on each.)
    assert sum(counts) == 9 and counts[2:] == [0] * 7 + [2]  # ≥ 1 day: b1, c1 (exactly)


def test_top_customers_by_revenue_with_names():
    from metrics.selectors.revenue import top_customers

    a, b, c = CustomerFactory(name="Ann"), CustomerFactory(name="Bob"), CustomerFactory(name="")
    _buy("1", a, at(0), "100")
    _buy("2", a, at(1), "250")
    _buy("3", b, at(2), "300")
    _buy("4", c, at(3), "350")
    RevenueEvent.objects.create(order_id="5", amount=Decimal("999"), occurred_at=at(4))
    rows = top_customers(limit=2)
    assert [(r["customer_id"], r["customer__name"], r["orders"]) for r in rows] == [
        (a.pk, "Ann", 2),
        (c.pk, "", 1),
    ]
    assert rows[0]["revenue"] == Decimal("350") and len(top_customers()) == 3


def test_days_built_before_the_sla_and_hour_rollups(world, monkeypatch):  # noqa: F811
    """Days without clocks_until (built before SlaRollup, HourRollup and the created-cohort
    columns) serve the summary still; the newer figures read them raw; refresh rebuilds."""
    from metrics.models import DailyRollup, FactDay, HourRollup, SlaRollup
    from metrics.selectors import distribution
    from metrics.selectors.sla import metric_sla, metric_sla_breakdown

    t = world["tickets"]
    _clock(t["a1"], "first_response", "breached", day(-20))
    rollup.rollup_rebuild(rollup.utc_day(day(-14)), rollup.utc_day(day(0)))
    FactDay.objects.update(clocks_until=None)
    SlaRollup.objects.all().delete()
    HourRollup.objects.all().delete()
    DailyRollup.objects.update(responded=0, created_solved=0, frt_business_n=0)
    f = periods(world)[1]
    assert rollup.plan(f, 7).clean and not rollup.plan(f, 7, full=True).clean

    def figures():
        return (
            metric_sla(f),
            metric_sla_breakdown(f, "team"),
            distribution.metric_heatmap(f),
            distribution.metric_breakdown(f, "channel"),
        )

    fast = figures()
    assert fast[0].first_response == Rate(1, 1)
    rollup.rollup_refresh(until=rollup.utc_day(day(-1)))
    since_first_ticket = (rollup.utc_day(day(-12)), rollup.utc_day(day(-1)))
    rebuilt = FactDay.objects.filter(day__range=since_first_ticket)
    assert rebuilt.exists() and not rebuilt.filter(clocks_until=None).exists()
    assert figures() == fast
    _raw(monkeypatch)
    assert figures() == fast
