"""What-if: the relation between first response time and CSAT, fitted from history. Pure.

Input: bins of FRT (minutes) with the CSAT answers of their tickets (n, positive). The fit is
weighted least squares of the bin's CSAT share on x = ln(1 + FRT minutes at the bin's
middle), weights = answers in the bin:

    csat(x) = a + b·x,  clamped to 0..1.

The simulator says, for FRT moving from X to Y minutes: expected CSAT at both, the change,
tickets at risk (tickets in the period × the drop in CSAT share: customers expected to move
from satisfied to not) and revenue at risk (tickets at risk × revenue per retained customer).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class FrtBin:
    low: float  # minutes
    high: float | None
    answers: int
    positive: int

    @property
    def middle(self) -> float:
        return self.low * 1.5 if self.high is None else (self.low + self.high) / 2

    @property
    def csat(self) -> float | None:
        return None if not self.answers else self.positive / self.answers


@dataclass(frozen=True)
class Fit:
    a: float
    b: float
    answers: int
    bins_used: int

    def csat_at(self, minutes: float) -> float:
        return min(1.0, max(0.0, self.a + self.b * math.log1p(max(minutes, 0.0))))


def fit(bins: list[FrtBin]) -> Fit | None:
    """None when fewer than two bins have answers (nothing to fit a slope to)."""
    pts = [(math.log1p(b.middle), b.csat, b.answers) for b in bins if b.answers]
    if len(pts) < 2:
        return None
    w = sum(p[2] for p in pts)
    mx = sum(x * n for x, _, n in pts) / w
    my = sum(y * n for _, y, n in pts) / w
    sxx = sum(n * (x - mx) ** 2 for x, _, n in pts)
    if sxx == 0:
        return None
    b = sum(n * (x - mx) * (y - my) for x, y, n in pts) / sxx
    return Fit(a=my - b * mx, b=b, answers=w, bins_used=len(pts))


@dataclass(frozen=True)
class Simulation:
    frt_from: float
    frt_to: float
    csat_from: float
    csat_to: float
    tickets: int
    tickets_at_risk: int
    revenue_per_customer: Decimal
    revenue_at_risk: Decimal

    @property
    def csat_change(self) -> float:
        return self.csat_to - self.csat_from


def simulate(
    model: Fit, *, frt_from: float, frt_to: float, tickets: int, revenue_per_customer: Decimal
) -> Simulation:
    c0, c1 = model.csat_at(frt_from), model.csat_at(frt_to)
    at_risk = max(0, round(tickets * (c0 - c1)))
    return Simulation(
        frt_from=frt_from,
        frt_to=frt_to,
        csat_from=c0,
        csat_to=c1,
        tickets=tickets,
        tickets_at_risk=at_risk,
        revenue_per_customer=revenue_per_customer,
        revenue_at_risk=(revenue_per_customer * at_risk).quantize(Decimal("0.01")),
    )
