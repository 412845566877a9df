"""A manager opens every dashboard over demo data; screenshots go to test-artifacts/."""

import pytest
from django.core.management import call_command

from tests.e2e.conftest import ARTIFACTS
from tests.factories.tickets import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "s3cret-pass-word"
PAGES = ["sla", "operations", "quality", "roi", "staffing"]


@pytest.fixture
def demo(db):
    from metrics.demo import seed_metrics_demo
    from tickets.demo import seed_demo

    seed_demo(tickets=1500, days=60, seed=7)
    seed_metrics_demo(seed=7)
    call_command("metrics_backfill")
    return UserFactory(username="max", first_name="Max", last_name="Manager", role="manager")


def _login(page, live_server, username="max"):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()


def test_every_dashboard_renders_with_charts(page, live_server, demo, screenshot):
    _login(page, live_server)
    for i, key in enumerate(PAGES, start=1):
        page.goto(f"{live_server.url}/dashboards/{key}/?period=30d")
        assert page.locator(".dash-card").count() >= 1
        for canvas in page.locator("canvas[data-chart]").all():
            assert canvas.get_attribute("data-drawn") == "1"
        screenshot(f"dashboard-{i}-{key}")
        # Full page too: the tables below the fold.
        page.screenshot(path=str(ARTIFACTS / f"dashboard-{i}-{key}-full.png"), full_page=True)
    assert page.js_errors == []


def test_card_links_to_queue_and_whatif(page, live_server, demo, screenshot):
    _login(page, live_server)
    page.goto(f"{live_server.url}/dashboards/quality/?period=30d&frt_from=15&frt_to=60")
    assert page.locator("[data-whatif]").count() == 1
    screenshot("dashboard-quality-whatif")
    page.goto(f"{live_server.url}/dashboards/operations/?period=30d")
    page.locator('[data-metric="nst"] .value a').click()
    page.wait_for_load_state()
    assert "/?" in page.url and "created_after" in page.url


def test_operator_cannot_open_dashboards(page, live_server, db):
    UserFactory(username="olga", role="operator")
    _login(page, live_server, "olga")
    response = page.goto(f"{live_server.url}/dashboards/sla/")
    assert response.status == 403
