"""One response reads the rollup plan of a period and the metrics settings once."""

import pytest

from metrics import rollup
from metrics.filters import MetricFilter
from metrics.models import MetricsSettings
from metrics.selectors.common import response_scope, scoped
from tests.metrics.conftest import at

pytestmark = pytest.mark.django_db


def test_plan_and_settings_are_read_once_inside_a_response_scope(django_assert_num_queries):
    MetricsSettings.load()
    f = MetricFilter(start=at(0), end=at(7))
    other = MetricFilter(start=at(0), end=at(7), channel=5)  # same period: same plan
    with django_assert_num_queries(2 * 2 + 2):  # outside: every call reads
        rollup.plan(f, 30)
        rollup.plan(f, 30)
        MetricsSettings.load()
        MetricsSettings.load()
    with django_assert_num_queries(2 + 2 + 1), response_scope():
        first = rollup.plan(f, 30)
        assert rollup.plan(other, 30) is first
        rollup.plan(f, 30, full=True)  # another plan: read once more
        with response_scope():  # nested: the outer cache
            assert rollup.plan(f, 30) is first
        assert MetricsSettings.load() is MetricsSettings.load()


def test_scope_ends_with_its_block_and_keys_are_separate():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    with response_scope():
        assert scoped(("a",), compute) == 1
        assert scoped(("a",), compute) == 1
        assert scoped(("b",), compute) == 2
    assert scoped(("a",), compute) == 3
    assert scoped(("a",), compute) == 4


def test_a_day_rebuilt_between_responses_is_seen_by_the_next():
    f = MetricFilter(start=at(-3), end=at(0))
    with response_scope():
        assert rollup.plan(f, 30).clean == []
    d = rollup.utc_day(at(-2))
    rollup.rollup_rebuild(d, d, window_days=30)
    with response_scope():
        assert d in rollup.plan(f, 30).clean
