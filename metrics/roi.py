"""ROI of support (DESIGN.md). Pure: takes figures, returns every component. No ORM.

revenue   = CRM revenue events within the attribution window after a solved ticket,
            or, when there are no events, average check × retained customers
costs     = agent hours × hourly cost + tool costs per month × months in the period
ROI       = (revenue − costs) ÷ costs × 100 %
automation savings = bot-solved tickets × human AHT (hours) × hourly cost
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
DAYS_PER_MONTH = Decimal("30")


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RoiInputs:
    event_revenue: Decimal
    revenue_events: int
    retained_customers: int
    average_check: Decimal
    handle_seconds: float  # agent time spent on tickets in the period
    hourly_cost: Decimal
    tool_costs_per_month: Decimal
    period_days: Decimal
    bot_solved: int
    human_aht_seconds: float | None


@dataclass(frozen=True)
class RoiResult:
    revenue: Decimal
    revenue_source: str  # "events", "average_check" or "none"
    agent_hours: Decimal
    agent_cost: Decimal
    tool_cost: Decimal
    costs: Decimal
    roi_percent: Decimal | None
    automation_hours: Decimal
    automation_savings: Decimal
    roi_with_savings_percent: Decimal | None


def roi(i: RoiInputs) -> RoiResult:
    if i.revenue_events:
        revenue, source = _money(i.event_revenue), "events"
    elif i.average_check and i.retained_customers:
        revenue, source = _money(i.average_check * i.retained_customers), "average_check"
    else:
        revenue, source = Decimal("0.00"), "none"
    hours = (Decimal(str(i.handle_seconds)) / 3600).quantize(CENT, rounding=ROUND_HALF_UP)
    agent_cost = _money(hours * i.hourly_cost)
    tool_cost = _money(i.tool_costs_per_month * i.period_days / DAYS_PER_MONTH)
    costs = agent_cost + tool_cost
    auto_hours = Decimal("0.00")
    if i.human_aht_seconds and i.bot_solved:
        auto_hours = (Decimal(str(i.human_aht_seconds)) * i.bot_solved / 3600).quantize(
            CENT, rounding=ROUND_HALF_UP
        )
    savings = _money(auto_hours * i.hourly_cost)

    def pct(gain: Decimal) -> Decimal | None:
        if not costs:
            return None
        return ((gain - costs) / costs * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    return RoiResult(
        revenue=revenue,
        revenue_source=source,
        agent_hours=hours,
        agent_cost=agent_cost,
        tool_cost=tool_cost,
        costs=costs,
        roi_percent=pct(revenue),
        automation_hours=auto_hours,
        automation_savings=savings,
        roi_with_savings_percent=pct(revenue + savings),
    )
