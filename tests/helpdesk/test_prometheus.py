"""GET /metrics: access rules, the exposition format, and what each collector counts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client

from channels_in.models import EventStatus, InboundEvent
from helpdesk import prometheus
from sla.models import ClockStatus, SlaClock, SlaEvent
from sla.tasks import sla_sweep
from tests.factories.sla import SlaPolicyFactory
from tests.factories.tickets import ChannelFactory, TicketFactory, UserFactory
from tickets.models import DeliveryStatus, Direction, Message

NOW = dt.datetime(2026, 5, 4, 12, tzinfo=dt.UTC)
SAMPLE = re.compile(r"^([a-z_]+)(\{[^}]*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$")


def scrape(client: Client | None = None, **headers) -> dict[str, float]:
    response = (client or Client()).get("/metrics", headers=headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    values = {}
    for line in response.content.decode().splitlines():
        if line.startswith("#"):
            assert re.match(r"^# (HELP|TYPE) [a-z_]+ .+$", line), line
            continue
        match = SAMPLE.match(line)
        assert match, f"not exposition format: {line!r}"
        values[match.group(1) + (match.group(2) or "")] = float(match.group(3))
    return values


def test_every_app_registers_its_collector():
    assert {"inbound", "queue", "sla", "celery"} <= set(prometheus.registered())


@pytest.mark.django_db
def test_without_a_token_only_the_internal_network_may_scrape(settings):
    settings.METRICS_TOKEN = ""
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
    refused = Client(REMOTE_ADDR="203.0.113.9").get("/metrics")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"


@pytest.mark.django_db
def test_behind_our_proxy_the_real_address_decides(settings):
    settings.METRICS_TOKEN = ""
    settings.BEHIND_PROXY = True
    outside = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.9")
    assert outside.get("/metrics").status_code == 403
    inside = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="10.0.0.5")
    assert inside.get("/metrics").status_code == 200


@pytest.mark.django_db
def test_with_a_token_every_address_needs_it(settings):
    settings.METRICS_TOKEN = "scrape-me"
    local = Client(REMOTE_ADDR="127.0.0.1")
    assert local.get("/metrics").status_code == 403
    assert local.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    remote = Client(REMOTE_ADDR="203.0.113.9")
    assert remote.get("/metrics", headers={"Authorization": "Bearer scrape-me"}).status_code == 200


@pytest.mark.django_db
def test_a_signed_in_admin_is_no_substitute_for_the_token(settings):
    settings.METRICS_TOKEN = "scrape-me"
    client = Client(REMOTE_ADDR="203.0.113.9")
    client.force_login(UserFactory(role="admin"))
    assert client.get("/metrics").status_code == 403


@pytest.mark.django_db
def test_counts_follow_the_data():
    before = scrape()
    channel = ChannelFactory(kind="generic")
    for i, status in enumerate(
        [EventStatus.RECEIVED, EventStatus.PROCESSED, EventStatus.PROCESSED, EventStatus.FAILED]
    ):
        InboundEvent.objects.create(channel=channel, dedupe_key=f"k{i}", body=b"{}", status=status)
    agent = UserFactory(role="operator")
    TicketFactory(status="new")
    TicketFactory(status="open", assignee=agent)
    TicketFactory(status="open", sla_due_at=NOW - dt.timedelta(hours=1))
    TicketFactory(status="closed")
    ticket = TicketFactory(status="open", assignee=agent)
    for status in (DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.RETRYING):
        Message.objects.create(
            ticket=ticket,
            channel=ticket.channel,
            direction=Direction.OUTBOUND,
            text="x",
            delivery_status=status,
            sent_at=NOW,
        )
    with time_machine.travel(NOW, tick=False):
        after = scrape()
    assert after['helpdesk_inbound_events_total{kind="generic",status="processed"}'] == 2
    assert after['helpdesk_inbound_events_total{kind="generic",status="received"}'] == 1
    assert after['helpdesk_inbound_events_total{kind="generic",status="failed"}'] == 1
    assert after["helpdesk_inbound_oldest_waiting_seconds"] >= 0
    assert after['helpdesk_tickets_open{status="new"}'] == 1
    assert after['helpdesk_tickets_open{status="open"}'] == 3
    assert after['helpdesk_tickets_open{status="pending"}'] == 0
    assert after["helpdesk_tickets_unassigned"] == 2
    assert after["helpdesk_tickets_overdue"] == 1
    for status in ("sent", "failed", "retrying"):
        key = f'helpdesk_outbound_messages{{status="{status}"}}'
        assert after[key] - before.get(key, 0) == 1
    for name in ("inbound", "queue", "sla", "celery"):
        assert after[f'helpdesk_metrics_collector_up{{collector="{name}"}}'] == 1


@pytest.mark.django_db
def test_sweep_runs_and_sla_events_are_counted(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.core.cache import cache

    cache.clear()
    policy = SlaPolicyFactory()
    for ticket in TicketFactory.create_batch(3):
        SlaClock.objects.create(
            ticket=ticket,
            metric="first_response",
            policy=policy,
            status=ClockStatus.RUNNING,
            target_seconds=3600,
            started_at=NOW - dt.timedelta(hours=2),
            running_since=NOW - dt.timedelta(hours=2),
            due_at=NOW - dt.timedelta(hours=1),
            warn_at=NOW - dt.timedelta(hours=1, minutes=15),
        )
    with time_machine.travel(NOW, tick=False):
        assert scrape()["helpdesk_sla_clocks_due"] == 3
        sla_sweep()
        sla_sweep()
        values = scrape()
    assert values["helpdesk_sla_sweep_runs_total"] == 2
    assert values["helpdesk_sla_sweep_last_run_timestamp_seconds"] == NOW.timestamp()
    assert values["helpdesk_sla_sweep_seconds_total"] >= 0
    assert values['helpdesk_sla_events_total{kind="breached"}'] == 3
    assert values["helpdesk_sla_clocks_due"] == 0
    assert SlaEvent.objects.filter(kind="breached").count() == 3


@pytest.mark.django_db
def test_a_failing_collector_is_reported_and_the_rest_still_answer():
    def broken():
        raise RuntimeError("boom")

    prometheus.register("zz-broken", broken)
    try:
        values = scrape()
    finally:
        prometheus._collectors.pop("zz-broken")
    assert values['helpdesk_metrics_collector_up{collector="zz-broken"}'] == 0
    assert values['helpdesk_metrics_collector_up{collector="queue"}'] == 1


def test_label_values_are_escaped():
    family = prometheus.Family("x_total", "counter", "help").add(1, kind='a"b\\c\nd')
    assert prometheus.render_families([family]).splitlines()[-1] == (
        'x_total{kind="a\\"b\\\\c\\nd"} 1'
    )
