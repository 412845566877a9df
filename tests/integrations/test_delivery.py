"""Delivery against a real receiver: failures, backoff, the retry sweep, lost workers,
redelivery, rotation, automatic disabling with a notice to admins."""

from __future__ import annotations

import datetime as dt
import json
import socket

import pytest
import time_machine
from django.core import mail

from helpdesk.audit.models import AuditEntry
from tests.factories.tickets import TicketFactory, UserFactory
from tests.integrations.conftest import verify
from tickets.integrations import transport
from tickets.integrations.models import WebhookDelivery, WebhookSubscription
from tickets.integrations.services import (
    deliveries,
    webhook_deliver,
    webhook_ping,
    webhook_redeliver,
    webhook_secret_rotate,
    webhook_subscription_delete,
    webhook_subscription_update,
)
from tickets.integrations.tasks import webhooks_retry_due
from tickets.services import ticket_set_priority

pytestmark = pytest.mark.django_db
UTC = dt.UTC
T0 = dt.datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
SEC = dt.timedelta(seconds=1)


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.OUTBOUND_WEBHOOK_MAX_ATTEMPTS = 4
    settings.OUTBOUND_WEBHOOK_RETRY_BASE_SECONDS = 30
    settings.OUTBOUND_WEBHOOK_RETRY_MAX_SECONDS = 3600
    settings.OUTBOUND_WEBHOOK_TIMEOUT_SECONDS = 2


@pytest.fixture
def ticket(db):
    return TicketFactory(priority="normal")


@pytest.fixture
def change(ticket, committed):
    """One committed ticket change: records a ticket.updated delivery and sends it."""
    priorities = iter(["high", "low", "urgent", "normal"] * 10)

    def _change(at):
        with time_machine.travel(at, tick=False), committed():
            ticket_set_priority(ticket=ticket, priority=next(priorities))
        return WebhookDelivery.objects.order_by("-created_at").first()

    return _change


def sweep(at):
    with time_machine.travel(at, tick=False):
        return webhooks_retry_due.apply().get()


def test_failures_back_off_exponentially_with_jitter_then_succeed(sink, subscribe, change):
    sub = subscribe(sink.url, events=["ticket.updated"])
    sink.statuses = [500, 503, 200]
    delivery = change(T0)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("retrying", 1, 500)
    assert delivery.error == "HTTP 500"
    # Attempt n waits between half and all of 30 s · 2^(n-1).
    assert T0 + 15 * SEC <= delivery.next_attempt_at <= T0 + 30 * SEC
    first_retry = delivery.next_attempt_at
    assert sweep(first_retry - SEC) == 0  # not due yet: nothing sent
    assert len(sink.requests) == 1
    assert sweep(first_retry) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("retrying", 2, 503)
    assert first_retry + 30 * SEC <= delivery.next_attempt_at <= first_retry + 60 * SEC
    sub.refresh_from_db()
    assert sub.consecutive_failures == 2 and sub.failing_since == T0
    assert sweep(delivery.next_attempt_at) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("succeeded", 3, 200)
    assert delivery.next_attempt_at is None and delivery.delivered_at is not None
    # Every attempt carried the same id and the same body bytes, each signed.
    bodies = {r["body"] for r in sink.requests}
    assert len(sink.requests) == 3 and len(bodies) == 1
    for request in sink.requests:
        assert verify(sub.secret, request)["id"] == str(delivery.pk)
    sub.refresh_from_db()
    assert (sub.consecutive_failures, sub.failing_since) == (0, None)


def test_the_last_allowed_attempt_marks_the_delivery_failed(sink, subscribe, change):
    subscribe(sink.url, events=["ticket.updated"])
    sink.statuses = [500] * 10
    delivery = change(T0)
    for _ in range(3):
        delivery.refresh_from_db()
        sweep(delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 4, None)
    assert sweep(T0 + dt.timedelta(days=1)) == 0
    assert len(sink.requests) == 4


def test_redirect_is_not_a_success(sink, subscribe, change):
    subscribe(sink.url, events=["ticket.updated"])
    sink.statuses = [302]
    delivery = change(T0)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_code) == ("retrying", 302)


def test_response_excerpt_and_duration_are_logged(sink, subscribe, change):
    subscribe(sink.url, events=["ticket.updated"])
    sink.statuses = [422]
    sink.reply_body = {"error": "unknown field", "filler": "x" * 10_000}
    delivery = change(T0)
    delivery.refresh_from_db()
    assert delivery.response_body.startswith('{"error": "unknown field"')
    assert len(delivery.response_body) == 2000
    assert delivery.duration_ms is not None and delivery.duration_ms >= 0


def test_connection_refused_is_retried(subscribe, change):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    subscribe(f"http://127.0.0.1:{port}/hook", events=["ticket.updated"])
    delivery = change(T0)
    delivery.refresh_from_db()
    assert delivery.status == "retrying" and delivery.response_code is None
    assert "ConnectError" in delivery.error


def test_a_receiver_that_never_answers_times_out(subscribe, change, settings):
    settings.OUTBOUND_WEBHOOK_TIMEOUT_SECONDS = 0.3
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        subscribe(f"http://127.0.0.1:{silent.getsockname()[1]}/hook", events=["ticket.updated"])
        delivery = change(T0)
    delivery.refresh_from_db()
    assert delivery.status == "retrying" and delivery.response_code is None
    assert delivery.error.startswith("Timed out after 0.3 s")


def test_a_worker_lost_mid_send_is_covered_by_the_sweep(
    sink, subscribe, ticket, django_capture_on_commit_callbacks
):
    """The send task never ran (lost with the broker), then the worker that claimed it died
    mid-send: the sweep sends it once each time, and nothing is lost."""
    sub = subscribe(sink.url, events=["ticket.updated"])
    with (
        time_machine.travel(T0, tick=False),
        django_capture_on_commit_callbacks(execute=False) as lost,
    ):
        ticket_set_priority(ticket=ticket, priority="high")
    assert lost  # the queued send, never run
    delivery = WebhookDelivery.objects.get(subscription=sub)
    assert delivery.status == "pending" and sink.requests == []
    assert sweep(T0 + 59 * SEC) == 0  # the queued task has a minute to claim it
    # A worker claims it at T0 + 60 s and dies before recording anything.
    with time_machine.travel(T0 + 60 * SEC, tick=False):
        assert WebhookDelivery.objects.filter(pk=delivery.pk, status="pending").update(
            status="sending", attempts=1, next_attempt_at=T0 + 122 * SEC
        )
    assert sweep(T0 + 121 * SEC) == 0  # its lease (timeout + 60 s) still runs
    assert sweep(T0 + 122 * SEC) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)
    assert len(sink.requests) == 1


def test_a_delivery_is_claimed_once(sink, subscribe, change):
    subscribe(sink.url, events=["ticket.updated"])
    delivery = change(T0)
    assert webhook_deliver(delivery_id=delivery.pk) is None  # already sent: no second send
    assert len(sink.requests) == 1


def test_redelivery_sends_the_same_body_signed_with_the_current_secret(
    sink, subscribe, change, committed, admin_user
):
    sub = subscribe(sink.url, events=["ticket.updated"])
    delivery = change(T0)
    old_secret = sub.secret
    sub = webhook_secret_rotate(subscription=sub, actor=admin_user)
    assert sub.secret != old_secret
    with time_machine.travel(T0 + 3600 * SEC, tick=False), committed():
        again = webhook_redeliver(delivery=delivery, actor=admin_user)
    assert again.pk == delivery.pk
    first, second = sink.requests
    assert first["body"] == second["body"]
    verify(old_secret, first)
    verify(sub.secret, second)
    with pytest.raises(AssertionError):
        verify(old_secret, second)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.redelivered_by) == (
        "succeeded",
        1,
        admin_user,
    )
    entry = AuditEntry.objects.get(action="webhook.redelivered")
    assert entry.data == {"delivery": str(delivery.pk), "event": "ticket.updated"}


def test_a_delivery_on_its_way_cannot_be_redelivered(sink, subscribe, change):
    subscribe(sink.url, events=["ticket.updated"])
    sink.statuses = [500]
    delivery = change(T0)
    from helpdesk.exceptions import ApplicationError

    with pytest.raises(ApplicationError) as exc:
        webhook_redeliver(delivery=delivery)
    assert exc.value.status_code == 409


def test_repeated_failure_disables_the_subscription_and_tells_admins(
    sink, subscribe, change, settings, ticket, committed
):
    settings.OUTBOUND_WEBHOOK_DISABLE_AFTER_FAILURES = 3
    settings.OUTBOUND_WEBHOOK_DISABLE_AFTER_HOURS = 2
    UserFactory(username="root", role="admin", email="root@example.com")
    UserFactory(username="mia", role="manager", email="mia@example.com")
    sub = subscribe(sink.url, events=["ticket.updated"])
    sink.statuses = [500] * 20
    for hours in (0, 1, 1.5):  # three failures in a row, but not yet for two hours
        change(T0 + dt.timedelta(hours=hours))
    sub.refresh_from_db()
    assert sub.is_active and sub.consecutive_failures == 3
    assert mail.outbox == []
    retry = WebhookDelivery.objects.filter(status="retrying").order_by("created_at").first()
    change(T0 + dt.timedelta(hours=2))  # the failure run reaches two hours
    sub.refresh_from_db()
    assert not sub.is_active and sub.disabled_at == T0 + dt.timedelta(hours=2)
    assert sub.consecutive_failures == 4
    assert "4 in a row" in sub.disabled_reason
    (message,) = mail.outbox
    assert sorted(message.to) == ["ada@example.com", "root@example.com"]  # admins only
    assert f"#{sub.pk}" in message.subject and sub.url in message.body
    entry = AuditEntry.objects.get(action="webhook.disabled")
    assert entry.target_id == str(sub.pk) and entry.data["consecutive_failures"] == 4
    # Disabled: new changes record nothing, and waiting retries are not sent.
    sent = len(sink.requests)
    change(T0 + dt.timedelta(hours=3))
    assert WebhookDelivery.objects.count() == 4
    sweep(T0 + dt.timedelta(days=1))
    assert len(sink.requests) == sent
    retry.refresh_from_db()
    assert retry.status == "failed" and "disabled" in retry.error
    # A test ping still goes out (to check the receiver) and does not count as a failure.
    with committed():
        ping = webhook_ping(subscription=sub)
    ping.refresh_from_db()
    assert ping.status == "failed" and ping.attempts == 1  # pings are not retried
    sub.refresh_from_db()
    assert sub.consecutive_failures == 4
    # Enabling again starts a new count.
    sub = webhook_subscription_update(subscription=sub, is_active=True)
    assert (sub.consecutive_failures, sub.failing_since, sub.disabled_at) == (0, None, None)


def test_disabling_can_be_switched_off(sink, subscribe, change, settings):
    settings.OUTBOUND_WEBHOOK_DISABLE_AFTER_FAILURES = 0
    settings.OUTBOUND_WEBHOOK_DISABLE_AFTER_HOURS = 0
    sub = subscribe(sink.url, events=["ticket.updated"])
    sink.statuses = [500] * 5
    for hours in range(5):
        change(T0 + dt.timedelta(days=hours))
    sub.refresh_from_db()
    assert sub.is_active and sub.consecutive_failures == 5


def test_ping_reaches_the_receiver_signed(sink, subscribe, committed, admin_user):
    sub = subscribe(sink.url, events=["ticket.created"])
    with committed():
        ping = webhook_ping(subscription=sub, actor=admin_user)
    payload = verify(sub.secret, sink.requests[0])
    assert payload["event"] == "ping" and payload["id"] == str(ping.pk)
    assert payload["data"] == {
        "subscription": {"id": sub.pk, "url": sink.url},
        "requested_by": "ada",
    }
    assert json.loads(WebhookDelivery.objects.get(pk=ping.pk).body) == payload
    assert WebhookSubscription.objects.get(pk=sub.pk).consecutive_failures == 0


def test_a_subscription_deleted_during_a_send_is_no_error(
    sink, subscribe, ticket, django_capture_on_commit_callbacks
):
    sub = subscribe(sink.url, events=["ticket.updated"])
    with django_capture_on_commit_callbacks(execute=False):
        ticket_set_priority(ticket=ticket, priority="high")
    delivery = WebhookDelivery.objects.get()
    delivery.subscription = sub
    assert deliveries._claim(delivery.pk, T0)
    delivery.refresh_from_db()
    webhook_subscription_delete(subscription=sub)
    outcome = transport.Outcome(
        status_code=500, response_excerpt="", duration_ms=3, error="HTTP 500"
    )
    recorded = deliveries._record(delivery, outcome)  # the admin deleted it meanwhile
    assert recorded.status == "retrying"
    assert not WebhookDelivery.objects.exists() and not WebhookSubscription.objects.exists()
