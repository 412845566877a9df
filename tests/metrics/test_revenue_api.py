"""Revenue events (API, CSV), retention/churn/LTV, ROI inputs, summary API, dashboards."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from metrics.filters import MetricFilter
from metrics.models import RevenueEvent
from metrics.selectors.revenue import metric_ltv, metric_revenue
from metrics.services import revenue_import_csv
from tests.factories.tickets import CustomerFactory
from tests.metrics.conftest import at, make_ticket

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_revenue_api_idempotent_by_order_and_matches_customer(manager):
    c = CustomerFactory(email="ira@example.org", external_id="crm-7", phone="+79001234567")
    client = api(manager)
    body = {
        "order_id": "A-1",
        "amount": "1500.50",
        "currency": "rub",
        "date": "2026-03-03T10:00:00Z",
        "email": "IRA@example.org",
    }
    r = client.post("/api/revenue-events/", body, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["customer"] == c.pk and r.json()["currency"] == "RUB"
    r = client.post("/api/revenue-events/", {**body, "amount": "1600"}, format="json")
    assert r.status_code == 200
    assert RevenueEvent.objects.get().amount == Decimal("1600")
    by_phone = {**body, "order_id": "A-2", "email": "", "phone": "8 (900) 123-45-67"}
    assert client.post("/api/revenue-events/", by_phone, format="json").json()["customer"] is None
    by_crm = {**body, "order_id": "A-3", "email": "", "customer_external_id": "crm-7"}
    assert client.post("/api/revenue-events/", by_crm, format="json").json()["customer"] == c.pk
    nobody = {"order_id": "A-4", "amount": "1", "date": "2026-03-03T10:00:00Z"}
    assert client.post("/api/revenue-events/", nobody, format="json").status_code == 400
    listed = client.get("/api/revenue-events/").json()
    assert listed["count"] == 3


def test_revenue_api_is_for_managers(operator):
    assert api(operator).get("/api/revenue-events/").status_code == 403
    assert api(operator).get("/api/metrics/summary/").status_code == 403


def test_csv_import_reports_bad_rows_and_is_idempotent(tmp_path):
    CustomerFactory(email="ira@example.org")
    text = (
        "order_id,amount,currency,date,customer_external_id,email,phone\n"
        "B-1,1 000,RUB,2026-03-03,,ira@example.org,\n"
        "B-2,oops,RUB,2026-03-03,,ira@example.org,\n"
        "B-3,250.5,RUB,not-a-date,,x@example.org,\n"
    )
    first = revenue_import_csv(text=text)
    assert (first.created, first.updated, first.matched, len(first.errors)) == (1, 0, 1, 2)
    path = tmp_path / "rev.csv"
    path.write_text(text)
    call_command("import_revenue", str(path))
    assert RevenueEvent.objects.count() == 1
    assert RevenueEvent.objects.get().amount == Decimal("1000")


def test_retention_churn_attributed_revenue_ltv():
    a, b, c = CustomerFactory(), CustomerFactory(), CustomerFactory()
    make_ticket(created=at(0), frt_min=5, solved=at(1), customer=a)
    make_ticket(created=at(0), frt_min=5, solved=at(2), customer=b)
    make_ticket(created=at(0), frt_min=5, solved=at(2), customer=c)

    def buy(order, customer, when, amount):
        RevenueEvent.objects.create(
            order_id=order, customer=customer, amount=Decimal(amount), occurred_at=when
        )

    buy("1", a, at(-10), "100")  # a bought before ...
    buy("2", a, at(5), "300")  # ... and again 4 days after the solve: retained
    buy("3", b, at(-5), "200")  # b bought before and not after: churned
    buy("4", c, at(40), "999")  # c bought 38 days after: outside a 30-day window
    f = MetricFilter(start=at(0), end=at(7))
    r = metric_revenue(f, window_days=30)
    assert (r.served_customers, r.retained_customers) == (3, 1)
    assert (r.had_bought_before, r.churned) == (2, 1)
    assert r.attributed == Decimal("300") and r.events == 1
    assert r.retention.value == pytest.approx(1 / 3) and r.churn.value == 0.5
    assert metric_revenue(f, window_days=40).attributed == Decimal("1299")
    ltv = metric_ltv()
    assert ltv.customers == 3 and ltv.per_customer == Decimal("533.00")


def test_summary_api_contract(manager):
    make_ticket(created=at(1), frt_min=10, solved=at(2))
    make_ticket(created=at(-6), frt_min=30, solved=at(-5))
    r = api(manager).get("/api/metrics/summary/?from=2026-03-02&to=2026-03-08")
    assert r.status_code == 200
    body = r.json()
    assert body["period"]["from"].startswith("2026-03-02")
    assert body["current"]["nst"] == 1 and body["current"]["frt_mean"] == 600
    assert body["previous"]["nst"] == 1 and body["previous"]["frt_mean"] == 1800
    assert body["change"]["frt_mean"] == pytest.approx(-66.7)
    assert body["current"]["aht_source"] == "estimated"


def test_dashboards_for_managers_only(client, manager, operator):
    client.force_login(operator)
    assert client.get("/dashboards/sla/").status_code == 403
    client.force_login(manager)
    make_ticket(created=at(1), frt_min=10, solved=at(2))
    for page in ("sla", "operations", "quality", "roi", "staffing"):
        assert client.get(f"/dashboards/{page}/?from=2026-03-01&to=2026-03-08").status_code == 200
        assert client.get(f"/api/metrics/{page}/?period=7d").status_code == 200
    assert client.get("/dashboards/nope/").status_code == 404
    csv = client.get("/dashboards/operations/by_channel.csv?from=2026-03-01&to=2026-03-08")
    assert csv.status_code == 200
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Channel,Created") and len(lines) == 2


def test_settings_form_saves(client, manager):
    client.force_login(manager)
    from metrics.models import MetricsSettings

    data = {
        f: getattr(MetricsSettings.load(), f)
        for f in (
            "agent_hourly_cost",
            "tool_costs_per_month",
            "attribution_window_days",
            "average_check",
            "currency",
            "fcr_window_days",
            "default_handle_minutes",
            "nps_cooldown_days",
            "survey_expiry_days",
            "service_level_percent",
            "service_level_seconds",
            "forecast_weeks",
        )
    }
    data["agent_hourly_cost"] = "1234.50"
    assert client.post("/dashboards/settings/", data).status_code == 302
    assert MetricsSettings.load().agent_hourly_cost == Decimal("1234.50")
    _ = timedelta
