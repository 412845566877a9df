"""SQL building blocks: durations in seconds and percentiles.

`Seconds(end, start)` is the difference of two timestamps in seconds as a float, on
PostgreSQL `EXTRACT(EPOCH FROM end - start)`, on SQLite from `julianday()` (precise to
about 0.1 ms, rounded to the millisecond by the selectors).

`PercentileCont` is PostgreSQL's ordered-set aggregate `percentile_cont(f) WITHIN GROUP
(ORDER BY x)` (linear interpolation between the two nearest ranks). SQLite has no such
aggregate: `percentiles()` then fetches only the sorted column of durations for the
period and interpolates the same way (`percentile_cont` below), so both databases give
identical figures.
"""

from __future__ import annotations

import math

from django.db import connection
from django.db.models import Aggregate, F, FloatField, Func, QuerySet


class Seconds(Func):
    output_field = FloatField()
    arity = 2

    def __init__(self, end, start, **extra):
        if isinstance(end, str):
            end = F(end)
        if isinstance(start, str):
            start = F(start)
        super().__init__(end, start, **extra)

    def as_sql(self, compiler, connection, **extra_context):  # SQLite and others
        return super().as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra_context,
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM (%(expressions)s))::double precision",
            arg_joiner=" - ",
            **extra_context,
        )


class PercentileCont(Aggregate):
    """PostgreSQL only: percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)."""

    function = "percentile_cont"
    name = "PercentileCont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be within 0..1")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def percentile_cont(sorted_values: list[float], fraction: float) -> float | None:
    """The same interpolation as PostgreSQL's percentile_cont, over an ascending list."""
    n = len(sorted_values)
    if n == 0:
        return None
    pos = fraction * (n - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    if lo == hi:
        return float(sorted_values[lo])
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def supports_percentile() -> bool:
    return connection.vendor == "postgresql"


def percentiles(
    queryset: QuerySet, expression, fractions: tuple[float, ...], filter=None
) -> list[float | None]:
    """Percentiles of `expression` over `queryset` (rows with a NULL value left out)."""
    if supports_percentile():
        aggs = {
            f"p{i}": PercentileCont(expression, f, filter=filter) for i, f in enumerate(fractions)
        }
        row = queryset.aggregate(**aggs)
        return [row[f"p{i}"] for i in range(len(fractions))]
    qs = queryset.filter(filter) if filter is not None else queryset
    values = list(
        qs.annotate(_v=expression)
        .filter(_v__isnull=False)
        .order_by("_v")
        .values_list("_v", flat=True)
    )
    return [percentile_cont(values, f) for f in fractions]
