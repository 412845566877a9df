"""Each dashboard page and metrics API makes a fixed number of queries: more channels,
teams, agents, tickets and survey answers add none (no query per row)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics import rollup
from tests.factories.tickets import ChannelFactory, CustomerFactory, TeamFactory, UserFactory
from tests.metrics.conftest import make_ticket
from tests.metrics.test_rollup import _clock_at_now, day, world  # noqa: F401
from tests.metrics.test_rollup_pages import _clock

pytestmark = pytest.mark.django_db

# Ceilings: the page's queries on the hand-built dataset, PostgreSQL (which reads a
# resolution-time bucket in three queries); the SLA, operations and staffing pages and the
# summary read the rollup plan of a period and the metrics settings once per response
# (before: sla 49, operations 94, staffing 18, summary 67).
CEILINGS = {"sla": 39, "operations": 70, "quality": 18, "roi": 63, "staffing": 16, "summary": 63}
URLS = {
    **{page: f"/dashboards/{page}/?period=7d" for page in CEILINGS if page != "summary"},
    "summary": "/api/metrics/summary/?period=7d",
}


def _counts(client, *, fixed: bool = False) -> dict:
    """Queries per page. `fixed`: without the reads of one value bucket for a median or
    p90, whose number depends on whether the ranks fall in one bucket or two."""

    def count(url) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        sql = [q["sql"] for q in ctx.captured_queries]
        return len([q for q in sql if not (fixed and 'AS "_v"' in q)])

    out = {}
    for page, url in URLS.items():
        out[page] = count(url)
        if page != "summary":
            out[f"api {page}"] = count(f"/api/metrics/{page}/?period=7d")
    return out


def _add_rows(i: int) -> None:
    """A channel, a team and an agent with three tickets (one per priority), each with a
    breached first-response clock and a CSAT answer."""
    from metrics.models import Survey, SurveyResponse

    channel, team = ChannelFactory(), TeamFactory()
    agent = UserFactory(username=f"agent{i}", role="operator")
    for j in range(3):
        t = make_ticket(
            created=day(-2 - j, 9),
            frt_min=10 + j,
            solved=day(-1, j),
            customer=CustomerFactory(),
            channel=channel,
            team=team,
            assignee=agent,
            priority=["low", "high", "urgent"][j],
        )
        _clock(t, "first_response", "breached", day(-20))
        survey = Survey.objects.create(
            kind="csat",
            ticket=t,
            customer=t.customer,
            channel=channel,
            agent=agent,
            sent_at=day(-1, 5),
            expires_at=day(5),
            answered_at=day(-1, 6),
        )
        SurveyResponse.objects.create(
            survey=survey,
            kind="csat",
            score=j + 3,
            comment=f"comment {i}/{j}",
            ticket=t,
            customer=t.customer,
            channel=channel,
            agent=agent,
            created_at=day(-1, 6),
        )


def test_dashboard_query_counts_do_not_grow_with_rows(world, client):  # noqa: F811
    client.force_login(UserFactory(username="boss", role="manager"))
    _add_rows(0)
    rollup.rollup_rebuild(rollup.utc_day(day(-14)), rollup.utc_day(day(-1)))
    _counts(client)  # settings rows created on first use
    total = _counts(client)
    for page, ceiling in CEILINGS.items():
        assert total[page] <= ceiling, str(total)
    before = _counts(client, fixed=True)
    for i in range(1, 4):
        _add_rows(i)
    rollup.rollup_rebuild(rollup.utc_day(day(-14)), rollup.utc_day(day(-1)))
    assert _counts(client, fixed=True) == before
