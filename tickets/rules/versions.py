"""A table's version as aggregates read along with another query.

A per-process cache (the loaded rules, the tags rule actions name) is checked against a
few aggregates of its table (row count, highest id, latest change). The intake reads them
as subqueries of its channel read, so the check costs no round trip of its own.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Aggregate, Subquery, Value

from helpdesk.scoped_cache import scoped_put

Parts = dict[str, Callable[[], Aggregate]]


def version_annotations(model, parts: Parts, prefix: str) -> dict[str, Subquery]:
    """One scalar subquery per part, named `<prefix>_<part>`, to annotate another query."""
    return {
        f"{prefix}_{key}": Subquery(
            model.objects.order_by()
            .annotate(_all=Value(1))
            .values("_all")
            .annotate(x=part())
            .values("x")[:1]
        )
        for key, part in parts.items()
    }


def version_read(model, parts: Parts) -> tuple:
    """The same aggregates in a query of their own."""
    agg = model.objects.aggregate(**{key: part() for key, part in parts.items()})
    return tuple(agg[key] for key in parts)


def version_put(row, parts: Parts, prefix: str, scope_key: tuple) -> None:
    """Hand the scope the version read with `version_annotations` on `row`."""
    scoped_put(scope_key, tuple(getattr(row, f"{prefix}_{key}") for key in parts))
