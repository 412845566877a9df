"""Revenue after support: retention, churn, attributed revenue, LTV."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, DateTimeField, Exists, ExpressionWrapper, OuterRef, Q, Sum

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
    """Three queries. The customers who had bought before a solve are one semi-join (an
    `EXISTS` in the WHERE clause) over the solved tickets and the revenue events, not a
    subquery per solved ticket; the churned ones among them ("did not buy again" after
    such a solve) are counted in the same query. The retained customers come with the
    attributed revenue: a customer bought within the window after a solve exactly when one
    of their events is attributed (the same window, seen from the event)."""
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

    money = metric_attributed(f, window_days=window_days, customers=True)
    row = solved.filter(bought_before).aggregate(
        before=Count("customer_id", distinct=True),
        churned=Count("customer_id", distinct=True, filter=~Q(bought_after)),
    )
    row["served"] = _customers(solved)
    return Revenue(
        served_customers=row["served"],
        retained_customers=money["c"],
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


def metric_attributed(f: MetricFilter, *, window_days: int, customers: bool = False) -> dict:
    """Revenue events within the window after a solve in the period: {"s": sum, "n": count}
    and with `customers` "c": their customers (`Revenue.retained_customers`); an event
    counts once, even when it follows several solved tickets."""
    solve_before = solved_tickets(f).filter(
        customer_id=OuterRef("customer_id"),
        solved_at__lte=OuterRef("occurred_at"),
        solved_at__gt=ExpressionWrapper(
            OuterRef("occurred_at") - timedelta(days=window_days), output_field=DateTimeField()
        ),
    )
    aggregates = {"s": Sum("amount"), "n": Count("pk")}
    if customers:
        aggregates["c"] = Count("customer_id", distinct=True)
    # Implied by the window (start <= solve <= event < solve + window < end + window); it
    # lets the database leave out the events no solve of the period can reach.
    reachable = RevenueEvent.objects.filter(
        occurred_at__gte=f.start, occurred_at__lt=f.end + timedelta(days=window_days)
    )
    return reachable.filter(Exists(solve_before)).aggregate(**aggregates)


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
