"""Revenue after support: retention, churn, attributed revenue, LTV."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, DateTimeField, Exists, ExpressionWrapper, OuterRef, Sum

from metrics.filters import MetricFilter
from metrics.models import RevenueEvent
from metrics.selectors.common import Rate
from metrics.selectors.responsiveness import solved_tickets


@dataclass(frozen=True)
class Revenue:
    served_customers: int  # customers with a ticket solved in the period
    retained_customers: int  # ... who bought within the window after a solve
    had_bought_before: int  # ... who had bought before that solve
    churned: int  # ... of those, who did not buy again within the window
    attributed: Decimal  # revenue events within the window after a solve
    events: int

    @property
    def retention(self) -> Rate:
        return Rate(self.retained_customers, self.served_customers)

    @property
    def churn(self) -> Rate:
        return Rate(self.churned, self.had_bought_before)


def _after(field: str, days: int):
    return ExpressionWrapper(OuterRef(field) + timedelta(days=days), output_field=DateTimeField())


def metric_revenue(f: MetricFilter, *, window_days: int) -> Revenue:
    """Each count is one query whose `EXISTS` sits in the WHERE clause, so the database
    runs it as one semi-join (anti-join for "did not buy again") over the solved tickets
    and the revenue events, not as a subquery per solved ticket."""
    solved = solved_tickets(f)
    bought_after = Exists(
        RevenueEvent.objects.filter(
            customer_id=OuterRef("customer_id"),
            occurred_at__gte=OuterRef("solved_at"),
            occurred_at__lt=_after("solved_at", window_days),
        )
    )
    bought_before = Exists(
        RevenueEvent.objects.filter(
            customer_id=OuterRef("customer_id"), occurred_at__lt=OuterRef("solved_at")
        )
    )

    row = {
        "served": _customers(solved),
        "retained": _customers(solved.filter(bought_after)),
        "before": _customers(solved.filter(bought_before)),
        "churned": _customers(solved.filter(bought_before).filter(~bought_after)),
    }
    money = metric_attributed(f, window_days=window_days)
    return Revenue(
        served_customers=row["served"],
        retained_customers=row["retained"],
        had_bought_before=row["before"],
        churned=row["churned"],
        attributed=money["s"] or Decimal("0"),
        events=money["n"],
    )


def _customers(qs) -> int:
    return qs.aggregate(n=Count("customer_id", distinct=True))["n"]


def metric_retained(f: MetricFilter, *, window_days: int) -> int:
    """`Revenue.retained_customers` alone."""
    bought_after = RevenueEvent.objects.filter(
        customer_id=OuterRef("customer_id"),
        occurred_at__gte=OuterRef("solved_at"),
        occurred_at__lt=_after("solved_at", window_days),
    )
    return _customers(solved_tickets(f).filter(Exists(bought_after)))


def metric_attributed(f: MetricFilter, *, window_days: int) -> dict:
    """Revenue events within the window after a solve in the period: {"s": sum, "n": count};
    an event counts once, even when it follows several solved tickets."""
    solve_before = solved_tickets(f).filter(
        customer_id=OuterRef("customer_id"),
        solved_at__lte=OuterRef("occurred_at"),
        solved_at__gt=ExpressionWrapper(
            OuterRef("occurred_at") - timedelta(days=window_days), output_field=DateTimeField()
        ),
    )
    return RevenueEvent.objects.filter(Exists(solve_before)).aggregate(
        s=Sum("amount"), n=Count("pk")
    )


@dataclass(frozen=True)
class Ltv:
    customers: int
    revenue: Decimal

    @property
    def per_customer(self) -> Decimal | None:
        if not self.customers:
            return None
        return (self.revenue / self.customers).quantize(Decimal("0.01"))


def metric_ltv() -> Ltv:
    """All revenue events of matched customers ÷ those customers (all time)."""
    row = RevenueEvent.objects.filter(customer__isnull=False).aggregate(
        s=Sum("amount"), n=Count("customer_id", distinct=True)
    )
    return Ltv(row["n"], row["s"] or Decimal("0"))


def top_customers(limit: int = 20) -> list[dict]:
    """The customers with the most revenue: [{customer_id, customer__name, revenue, orders}].
    Grouped by customer id alone, then the names of those few read (no join of every
    customer into the aggregate); ties by customer id."""
    from tickets.models import Customer

    rows = list(
        RevenueEvent.objects.filter(customer__isnull=False)
        .values("customer_id")
        .annotate(revenue=Sum("amount"), orders=Count("pk"))
        .order_by("-revenue", "customer_id")[:limit]
    )
    names = dict(
        Customer.objects.filter(pk__in=[r["customer_id"] for r in rows]).values_list("pk", "name")
    )
    return [{**r, "customer__name": names.get(r["customer_id"], "")} for r in rows]
