"""The agent table from the daily rollups equals the raw rows, and lists only the agents
with a ticket active now, created or solved in the period, work or a CSAT answer in it."""

import pytest

from metrics import rollup
from metrics.selectors.load import metric_agent_table
from tests.factories.tickets import UserFactory
from tests.metrics.conftest import make_ticket
from tests.metrics.test_rollup import day, periods, world  # noqa: F401

pytestmark = pytest.mark.django_db


def test_agent_table_from_rollups_equals_raw_and_leaves_idle_agents_out(world, monkeypatch):  # noqa: F811
    idle = UserFactory(username="idle", role="operator")
    make_ticket(created=day(-40), frt_min=5, solved=day(-39), assignee=idle)
    rollup.rollup_rebuild(rollup.utc_day(day(-41)), rollup.utc_day(day(0)))
    fast = {f: metric_agent_table(f) for f in periods(world)}
    assert any(r.solved for rows in fast.values() for r in rows)
    assert any(r.frt_mean for rows in fast.values() for r in rows)
    monkeypatch.setattr(rollup, "supports", lambda f: False)
    for f, rows in fast.items():
        assert rows == metric_agent_table(f)
        assert idle.pk not in {r.agent_id for r in rows}


def test_agent_table_reads_rollups_not_every_assigned_ticket(world):  # noqa: F811
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rollup.rollup_rebuild(rollup.utc_day(day(-14)), rollup.utc_day(day(0)))
    f = periods(world)[1]  # whole UTC days, all built
    with CaptureQueriesContext(connection) as ctx:
        metric_agent_table(f)
    sql = [q["sql"] for q in ctx.captured_queries]
    reads = [q for q in sql if q.startswith('SELECT "tickets_ticket"."assignee_id"')]
    # Of the tickets, only the active ones are read (the period's figures: the rollups).
    assert len(reads) == 1 and '"tickets_ticket"."status" IN' in reads[0]
    assert any("metrics_dailyrollup" in q for q in sql)
