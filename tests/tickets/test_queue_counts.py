"""The queue's page count: a saved view without filters takes its number from the view
counts of the left column (one COUNT over the open work less); with filters it is counted."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories.tickets import TicketFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGE_COUNT = 'SELECT COUNT(*) AS "__count"'


def _get(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    page_counts = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith(PAGE_COUNT)]
    return response, page_counts


@pytest.fixture
def queue_world(operator):
    other = UserFactory(username="ivan", role="operator")
    TicketFactory.create_batch(52, assignee=operator, status="open")
    TicketFactory.create_batch(3, assignee=None, status="new", priority="urgent", priority_rank=0)
    TicketFactory.create_batch(2, assignee=other, status="pending")
    TicketFactory.create_batch(4, status="closed")
    return operator


@pytest.mark.parametrize(
    "view, total", [("open", 57), ("mine", 52), ("unassigned", 3), ("high", 3), ("overdue", 0)]
)
def test_saved_view_uses_its_nav_count(operator_client, queue_world, view, total):
    operator_client.get("/")  # the first page loads the operator's preferences
    response, page_counts = _get(operator_client, f"/?view={view}")
    assert page_counts == []
    paginator = response.context["page_obj"].paginator
    assert paginator.count == total
    nav = {v["key"]: v["count"] for v in response.context["views_nav"]}
    assert nav[view] == total
    shown = len(response.context["tickets"])
    if paginator.num_pages > 1:
        shown += len(operator_client.get(f"/?view={view}&page=2").context["tickets"])
    assert shown == total


@pytest.mark.parametrize(
    "query, total",
    [
        ("?view=all", 61),
        ("?status=open", 52),
        ("?view=mine&priority=urgent", 0),
        ("?created_after=2000-01-01T00:00:00Z", 57),
    ],
)
def test_filtered_or_whole_history_is_counted(operator_client, queue_world, query, total):
    operator_client.get("/")
    response, page_counts = _get(operator_client, "/" + query)
    assert len(page_counts) == 1
    assert response.context["page_obj"].paginator.count == total


def test_page_two_of_a_saved_view(operator_client, queue_world):
    first = operator_client.get("/?view=mine").context["tickets"]
    second = operator_client.get("/?view=mine&page=2").context["tickets"]
    assert len(first) == 50 and len(second) == 2
    assert not {t.pk for t in first} & {t.pk for t in second}
