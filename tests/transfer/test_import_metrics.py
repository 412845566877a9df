"""Metrics over imported history come out as if the tickets had been worked live."""

from datetime import timedelta

import pytest
import time_machine

from metrics.filters import MetricFilter
from metrics.models import FactDay, RollupDirty
from metrics.rollup import rollup_rebuild, rollup_refresh
from metrics.selectors.quality import metric_resolution_quality
from metrics.selectors.responsiveness import metric_aht, metric_frt, metric_resolution
from metrics.selectors.summary import metric_summary
from metrics.selectors.surveys import metric_csat
from metrics.selectors.volume import metric_backlog_series, metric_nst
from tests.transfer.conftest import T0, at, jsonl, ticket_line
from tickets.transfer.importer import import_lines

pytestmark = pytest.mark.django_db

WEEK = MetricFilter(start=T0 - timedelta(days=1), end=T0 + timedelta(days=6))


def msgs(frt_minutes, *, agent="ivan", extra_replies=0, start_days=0):
    first = {"direction": "in", "author": "customer", "sent_at": at(days=start_days)}
    out = [first, {"direction": "out", "author": "bot", "sent_at": at(days=start_days, seconds=3)}]
    if frt_minutes is not None:
        out.append(
            {
                "direction": "out",
                "author": "agent",
                "agent": agent,
                "sent_at": at(days=start_days, minutes=frt_minutes),
            }
        )
    for n in range(extra_replies):
        out.append(
            {
                "direction": "out",
                "author": "agent",
                "agent": agent,
                "sent_at": at(days=start_days, minutes=frt_minutes + 10 + n),
            }
        )
    return out


def history():
    """Three solved tickets (FRT 4, 12, 50 min; resolution 1, 2, 3 h; CSAT 5, 4, 2; one
    reopened; handle 300, 600, 900 s) and one open ticket created on day 2."""
    return jsonl(
        ticket_line("H1", messages=msgs(4), solved_at=at(hours=1), csat=5, handle_seconds=300),
        ticket_line(
            "H2",
            customer={"external_id": "crm-h2"},
            messages=msgs(12, extra_replies=1),
            solved_at=at(hours=2),
            csat=4,
            handle_seconds=600,
            reopened=True,
        ),
        ticket_line(
            "H3",
            customer={"external_id": "crm-h3"},
            messages=msgs(50),
            solved_at=at(hours=3),
            csat=2,
            handle_seconds=900,
        ),
        ticket_line(
            "H4",
            customer={"external_id": "crm-h4"},
            status="open",
            solved_at=None,
            created_at=at(days=2),
            messages=msgs(None, start_days=2),
            csat=None,
            handle_seconds=None,
        ),
    )


def test_frt_resolution_csat_reopen_aht_backlog():
    summary = import_lines(history())
    assert summary.created == 4 and summary.rejected_total == 0
    frt = metric_frt(WEEK)
    assert frt.count == 3
    assert frt.mean == pytest.approx((4 + 12 + 50) / 3 * 60)
    assert frt.median == pytest.approx(12 * 60)
    resolution = metric_resolution(WEEK)
    assert resolution.count == 3 and resolution.mean == pytest.approx(2 * 3600)
    csat = metric_csat(WEEK)
    assert (csat.numerator, csat.denominator) == (2, 3)
    quality = metric_resolution_quality(WEEK)
    assert (quality.solved, quality.reopened, quality.one_touch) == (3, 1, 2)
    assert quality.fcr == 2  # H1 and H3: one reply, never reopened, no later ticket
    assert quality.bot_contained == 0  # a bot answered, but humans replied too
    aht = metric_aht(WEEK)
    assert (aht.source, aht.tickets, aht.seconds) == ("tracked", 3, 1800)
    assert metric_nst(WEEK).value == 4
    points = [
        T0 - timedelta(minutes=1),
        T0 + timedelta(minutes=30),
        T0 + timedelta(hours=2, minutes=30),
        T0 + timedelta(days=3),
    ]
    assert [b.total for b in metric_backlog_series(WEEK, points)] == [0, 3, 1, 1]


def _numbers(d: dict) -> dict:
    return {k: v for k, v in d.items() if isinstance(v, int | float)}


def test_rollup_days_built_before_the_import_are_marked_and_rebuilt():
    with time_machine.travel(T0 + timedelta(days=10), tick=False):
        rollup_rebuild((T0 - timedelta(days=3)).date(), (T0 + timedelta(days=8)).date())
        assert FactDay.objects.filter(day=T0.date()).exists()
        import_lines(history())
        assert RollupDirty.objects.exists()  # the imported days are read raw until rebuilt
        fast = metric_summary(WEEK, compare=False)["current"]
        raw = metric_summary(WEEK, compare=False, fast=False)["current"]
        assert _numbers(fast) == _numbers(raw)
        rollup_refresh()
        assert not RollupDirty.objects.exists()
        rebuilt = metric_summary(WEEK, compare=False)["current"]
        assert _numbers(rebuilt) == _numbers(raw)
