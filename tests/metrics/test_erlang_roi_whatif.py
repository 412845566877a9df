"""Pure modules against known values."""

from decimal import Decimal

import pytest

from metrics import erlang
from metrics.aggregates import percentile_cont
from metrics.roi import RoiInputs, roi
from metrics.whatif import FrtBin, fit, simulate


@pytest.mark.parametrize(
    ("agents", "expected"),
    # Erlang C tables, A = 10 erlangs.
    [(11, 0.6821), (12, 0.4494), (13, 0.2853), (14, 0.1741), (15, 0.1020)],
)
def test_erlang_c_known_values(agents, expected):
    assert erlang.erlang_c(agents, 10.0) == pytest.approx(expected, abs=1e-4)


def test_classic_call_centre_example():
    """100 contacts per 30 min, AHT 180 s (10 erlangs), 80 % within 20 s → 14 agents."""
    load = erlang.traffic(200, 180)
    assert load == 10
    assert erlang.service_level(13, load, 180, 20) == pytest.approx(0.7956, abs=1e-4)
    assert erlang.service_level(14, load, 180, 20) == pytest.approx(0.8884, abs=1e-4)
    assert erlang.agents_needed(200, 180, target_level=0.8, target_seconds=20) == 14
    assert erlang.average_speed_of_answer(14, load, 180) == pytest.approx(7.83, abs=0.01)


def test_erlang_edges():
    assert erlang.agents_needed(0, 300) == 0
    assert erlang.erlang_c(5, 5.0) == 1.0  # cannot keep up
    assert erlang.service_level(5, 6.0, 300, 60) == 0.0
    assert erlang.erlang_b(1, 1.0) == 0.5
    # One contact per hour, 6 min each: one agent, and it answers almost everyone at once.
    assert erlang.agents_needed(1, 360, target_level=0.8, target_seconds=60) == 1


def test_percentile_cont_matches_postgres_interpolation():
    assert percentile_cont([], 0.5) is None
    assert percentile_cont([7.0], 0.9) == 7.0
    assert percentile_cont([1, 2, 3, 4], 0.5) == 2.5
    assert percentile_cont([4, 12, 50], 0.9) == pytest.approx(42.4)


def _inputs(**kw):
    base = {
        "event_revenue": Decimal("150000"),
        "revenue_events": 12,
        "retained_customers": 10,
        "average_check": Decimal("3000"),
        "handle_seconds": 36000.0,  # 10 h
        "hourly_cost": Decimal("1000"),
        "tool_costs_per_month": Decimal("30000"),
        "period_days": Decimal("30"),
        "bot_solved": 40,
        "human_aht_seconds": 450.0,  # 7.5 min
    }
    base.update(kw)
    return RoiInputs(**base)


def test_roi_every_component():
    r = roi(_inputs())
    assert r.revenue == Decimal("150000.00") and r.revenue_source == "events"
    assert r.agent_hours == Decimal("10.00")
    assert r.agent_cost == Decimal("10000.00")
    assert r.tool_cost == Decimal("30000.00")
    assert r.costs == Decimal("40000.00")
    assert r.roi_percent == Decimal("275.0")  # (150000 − 40000) / 40000
    assert r.automation_hours == Decimal("5.00")  # 40 × 450 s
    assert r.automation_savings == Decimal("5000.00")
    assert r.roi_with_savings_percent == Decimal("287.5")


def test_roi_average_check_fallback_and_no_costs():
    r = roi(_inputs(revenue_events=0, event_revenue=Decimal("0"), period_days=Decimal("15")))
    assert r.revenue_source == "average_check" and r.revenue == Decimal("30000.00")
    assert r.tool_cost == Decimal("15000.00")
    free = roi(_inputs(handle_seconds=0, tool_costs_per_month=Decimal("0")))
    assert free.costs == 0 and free.roi_percent is None
    none = roi(_inputs(revenue_events=0, retained_customers=0))
    assert none.revenue_source == "none" and none.roi_percent == Decimal("-100.0")


def test_whatif_fit_and_simulation():
    bins = [
        FrtBin(0, 10, answers=100, positive=90),
        FrtBin(10, 60, answers=100, positive=70),
        FrtBin(60, None, answers=0, positive=0),
    ]
    model = fit(bins)
    assert model.bins_used == 2
    # Two points: the line goes through both bin middles exactly.
    assert model.csat_at(5) == pytest.approx(0.9)
    assert model.csat_at(35) == pytest.approx(0.7)
    sim = simulate(model, frt_from=5, frt_to=35, tickets=1000, revenue_per_customer=Decimal("500"))
    assert sim.tickets_at_risk == 200
    assert sim.revenue_at_risk == Decimal("100000.00")
    assert fit(bins[:1]) is None
