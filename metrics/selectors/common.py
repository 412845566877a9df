"""Result types shared by the selectors, and the cache of one response's shared reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

# Reads every figure of one response needs alike (the rollup plan of a period, the metrics
# settings): {key: value} inside `response_scope()`, None outside.
_SCOPE: ContextVar[dict | None] = ContextVar("metrics_response_scope", default=None)


@contextmanager
def response_scope() -> Iterator[None]:
    """Within the block (one page or API response) `scoped()` reads are made once, not once
    per figure, and the figures agree on them. Nested blocks share the outer one."""
    if _SCOPE.get() is not None:
        yield
        return
    token = _SCOPE.set({})
    try:
        yield
    finally:
        _SCOPE.reset(token)


def scoped(key: tuple, compute: Callable[[], T]) -> T:
    """compute(), once per key inside `response_scope()`; every time outside it."""
    cache = _SCOPE.get()
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def ratio(numerator: int | float, denominator: int | float) -> float | None:
    return None if not denominator else numerator / denominator


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(float(value), digits)


@dataclass(frozen=True)
class Rate:
    """numerator ÷ denominator; `value` is None when there is nothing to divide."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return ratio(self.numerator, self.denominator)

    @property
    def percent(self) -> float | None:
        v = self.value
        return None if v is None else round(v * 100, 1)


@dataclass(frozen=True)
class DurationStats:
    """Durations in seconds over `count` tickets; None when count is 0."""

    count: int
    mean: float | None
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, count, mean, median, p90) -> DurationStats:
        return cls(count or 0, _round(mean), _round(median), _round(p90))


def change(current: float | None, previous: float | None) -> float | None:
    """Relative change in percent against the previous period (None without a base)."""
    if current is None or previous is None or previous == 0:
        return None
    return round((current - previous) / abs(previous) * 100, 1)
