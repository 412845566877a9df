"""The webhook API: admins only, secrets shown once, the delivery log with filters,
redelivery, rotation and ping, one JSON error shape."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from rest_framework.test import APIClient

from helpdesk.audit.models import AuditEntry
from tests.factories.tickets import TicketFactory, UserFactory
from tests.integrations.conftest import verify
from tickets.integrations.models import WebhookDelivery, WebhookSubscription
from tickets.services import ticket_set_priority, ticket_set_status

pytestmark = pytest.mark.django_db
UTC = dt.UTC
T0 = dt.datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def as_admin(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


def client_for(role: str | None) -> APIClient:
    client = APIClient()
    if role == "norole":
        client.force_authenticate(UserFactory(username="nobody"))
    elif role is not None:
        client.force_authenticate(UserFactory(username=f"u-{role}", role=role))
    return client


def create(client, url="https://crm.example.com/hooks/helpdesk", **extra):
    body = {"url": url, "event_types": ["ticket.created", "ticket.solved"], **extra}
    return client.post("/api/webhooks/", body, format="json")


ENDPOINTS = [
    ("get", "/api/webhooks/"),
    ("post", "/api/webhooks/"),
    ("get", "/api/webhooks/{id}/"),
    ("patch", "/api/webhooks/{id}/"),
    ("delete", "/api/webhooks/{id}/"),
    ("post", "/api/webhooks/{id}/rotate-secret/"),
    ("post", "/api/webhooks/{id}/ping/"),
    ("get", "/api/webhooks/{id}/deliveries/"),
    ("get", "/api/webhooks/{id}/deliveries/{delivery}/"),
    ("post", "/api/webhooks/{id}/deliveries/{delivery}/redeliver/"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 401), ("norole", 403), ("operator", 403), ("manager", 403)],
)
def test_only_admins_reach_any_webhook_endpoint(method, path, role, status, subscribe, sink):
    sub = subscribe(sink.url)
    delivery = WebhookDelivery.objects.create(subscription=sub, event="ping", body="{}")
    url = path.format(id=sub.pk, delivery=delivery.pk)
    response = getattr(client_for(role), method)(url, {}, format="json")
    assert response.status_code == status
    assert set(response.json()["error"]) >= {"code", "message"}
    assert WebhookSubscription.objects.get(pk=sub.pk).secret == sub.secret  # nothing changed


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_admin_reaches_every_webhook_endpoint(method, path, as_admin, subscribe, sink):
    sub = subscribe(sink.url)
    delivery = WebhookDelivery.objects.create(
        subscription=sub, event="ping", body='{"id": "x"}', status="failed"
    )
    url = path.format(id=sub.pk, delivery=delivery.pk)
    body = {"description": "CRM"} if method == "patch" else {}
    if method == "post" and path == "/api/webhooks/":
        body = {"url": "https://bi.example.com/in", "event_types": ["sla.breached"]}
    response = getattr(as_admin, method)(url, body, format="json")
    assert response.status_code in (200, 201, 202, 204), response.content


def test_create_shows_the_secret_once(as_admin, admin_user):
    response = create(as_admin, description="Sales CRM")
    assert response.status_code == 201, response.content
    body = response.json()
    sub = WebhookSubscription.objects.get(pk=body["id"])
    assert body["secret"] == sub.secret and len(sub.secret) >= 40
    assert body["event_types"] == ["ticket.created", "ticket.solved"]
    assert body["created_by"] == "ada" and body["is_active"] is True
    assert "secret" not in as_admin.get(f"/api/webhooks/{sub.pk}/").json()
    listed = as_admin.get("/api/webhooks/").json()
    assert [s["id"] for s in listed["results"]] == [sub.pk]
    assert "secret" not in listed["results"][0]
    entry = AuditEntry.objects.get(action="webhook.created")
    assert entry.actor == admin_user and sub.secret not in str(entry.data)


@pytest.mark.parametrize(
    "body",
    [
        {"url": "https://x.example.com/", "event_types": ["ticket.exploded"]},
        {"url": "https://x.example.com/", "event_types": []},
        {"url": "not a url", "event_types": ["ticket.created"]},
        {"url": "ftp://x.example.com/", "event_types": ["ticket.created"]},
        {"event_types": ["ticket.created"]},
    ],
)
def test_invalid_subscriptions_are_refused_with_field_details(as_admin, body):
    response = as_admin.post("/api/webhooks/", body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["detail"]
    assert not WebhookSubscription.objects.exists()


def test_patch_changes_fields_and_enabling_resets_the_failure_run(as_admin):
    sub_id = create(as_admin).json()["id"]
    WebhookSubscription.objects.filter(pk=sub_id).update(
        is_active=False, consecutive_failures=30, failing_since=T0, disabled_at=T0
    )
    response = as_admin.patch(
        f"/api/webhooks/{sub_id}/",
        {"is_active": True, "event_types": ["message.created"], "description": "BI"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["is_active"] and body["event_types"] == ["message.created"]
    assert (body["consecutive_failures"], body["failing_since"], body["disabled_at"]) == (
        0,
        None,
        None,
    )
    assert (
        as_admin.patch(
            f"/api/webhooks/{sub_id}/", {"event_types": ["nope"]}, format="json"
        ).status_code
        == 400
    )
    assert AuditEntry.objects.get(action="webhook.changed").data == {
        "fields": ["description", "event_types", "is_active"]
    }


def test_delete_removes_the_subscription_and_its_log(as_admin, subscribe, sink):
    sub = subscribe(sink.url)
    WebhookDelivery.objects.create(subscription=sub, event="ping", body="{}")
    assert as_admin.delete(f"/api/webhooks/{sub.pk}/").status_code == 204
    assert not WebhookSubscription.objects.exists() and not WebhookDelivery.objects.exists()
    assert as_admin.get(f"/api/webhooks/{sub.pk}/").status_code == 404
    assert AuditEntry.objects.filter(action="webhook.deleted").count() == 1


def test_rotation_returns_a_new_secret_that_signs_from_then_on(
    as_admin, subscribe, sink, committed
):
    sub = subscribe(sink.url)
    response = as_admin.post(f"/api/webhooks/{sub.pk}/rotate-secret/")
    assert response.status_code == 200
    new_secret = response.json()["secret"]
    assert new_secret != sub.secret and response.json()["secret_rotated_at"]
    with committed():
        ping = as_admin.post(f"/api/webhooks/{sub.pk}/ping/")
    assert ping.status_code == 202 and ping.json()["event"] == "ping"
    (request,) = sink.requests
    assert verify(new_secret, request)["event"] == "ping"
    with pytest.raises(AssertionError):
        verify(sub.secret, request)
    assert AuditEntry.objects.filter(action="webhook.secret_rotated").count() == 1


@pytest.fixture
def log(subscribe, sink, committed):
    """A subscription with deliveries: two succeeded updates, one failed solve."""
    sub = subscribe(sink.url, events=["ticket.updated", "ticket.solved"])
    ticket = TicketFactory()
    sink.statuses = [200, 200, 500]
    with time_machine.travel(T0, tick=False), committed():
        ticket_set_priority(ticket=ticket, priority="high")
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False), committed():
        ticket_set_status(ticket=ticket, status="solved")
    return sub, ticket


def test_delivery_log_with_filters(as_admin, log, subscribe, sink):
    sub, ticket = log
    url = f"/api/webhooks/{sub.pk}/deliveries/"
    rows = as_admin.get(url).json()["results"]
    assert [r["event"] for r in rows][-1] == "ticket.updated"  # newest first
    assert len(rows) == 3
    assert {r["status"] for r in rows} == {"succeeded", "retrying"}
    failed = as_admin.get(url, {"status": "retrying"}).json()["results"]
    assert len(failed) == 1 and failed[0]["response_code"] == 500
    assert failed[0]["error"] == "HTTP 500" and failed[0]["next_attempt_at"]
    assert len(as_admin.get(url, {"event": "ticket.solved"}).json()["results"]) == 1
    assert len(as_admin.get(url, {"response_code": 200}).json()["results"]) == 2
    later = as_admin.get(url, {"created_after": "2026-06-01T12:30:00Z"}).json()["results"]
    assert {r["event"] for r in later} == {"ticket.updated", "ticket.solved"}
    assert len(later) == 2
    assert len(as_admin.get(url, {"ticket": ticket.pk}).json()["results"]) == 3
    assert as_admin.get(url, {"status": "exploded"}).status_code == 400
    # Another subscription's log is separate.
    other = subscribe(sink.url, events=["ticket.created"])
    assert as_admin.get(f"/api/webhooks/{other.pk}/deliveries/").json()["results"] == []
    assert as_admin.get("/api/webhooks/999999/deliveries/").status_code == 404


def test_delivery_detail_shows_the_payload_exactly_as_sent(as_admin, log, sink):
    sub, _ticket = log
    delivery = WebhookDelivery.objects.filter(event="ticket.solved").get()
    response = as_admin.get(f"/api/webhooks/{sub.pk}/deliveries/{delivery.pk}/")
    assert response.status_code == 200
    sent = [r for r in sink.requests if r["headers"]["X-Helpdesk-Delivery"] == str(delivery.pk)]
    assert response.json()["payload"] == verify(sub.secret, sent[0])


def test_log_query_count_does_not_grow_with_rows(
    as_admin, subscribe, sink, django_assert_max_num_queries
):
    sub = subscribe(sink.url)
    url = f"/api/webhooks/{sub.pk}/deliveries/"
    WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(subscription=sub, event="ping", body="{}") for _ in range(3)]
    )
    with django_assert_max_num_queries(8) as few:
        as_admin.get(url)
    WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(subscription=sub, event="ping", body="{}") for _ in range(40)]
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(as_admin.get(url).json()["results"]) == 43


def test_redeliver_through_the_api(as_admin, log, sink, committed):
    sub, _ticket = log
    done = WebhookDelivery.objects.filter(status="succeeded").first()
    with committed():
        response = as_admin.post(f"/api/webhooks/{sub.pk}/deliveries/{done.pk}/redeliver/")
    assert response.status_code == 202, response.content
    assert sink.requests[-1]["headers"]["X-Helpdesk-Delivery"] == str(done.pk)
    retrying = WebhookDelivery.objects.get(status="retrying")
    response = as_admin.post(f"/api/webhooks/{sub.pk}/deliveries/{retrying.pk}/redeliver/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
