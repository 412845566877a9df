"""On PostgreSQL: two workers claiming the same delivery at the same moment send it once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from tests.factories.tickets import UserFactory
from tickets.integrations.models import DeliveryStatus, WebhookDelivery
from tickets.integrations.services import (
    webhook_deliver,
    webhook_due_ids,
    webhook_subscription_create,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


def _race(target, args_list):
    barrier = threading.Barrier(len(args_list))
    results, errors = [], []

    def run(args):
        try:
            barrier.wait()
            results.append(target(*args))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(a,)) for a in args_list]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    return results


@pytest.mark.parametrize("round_", range(5))
def test_two_parallel_claims_send_once(sink, round_):
    admin = UserFactory(username="ada", role="admin")
    sub = webhook_subscription_create(
        url=sink.url, event_types=["ticket.created"], created_by=admin
    )
    delivery = WebhookDelivery.objects.create(
        subscription=sub, event="ticket.created", body='{"id": "x"}'
    )
    results = _race(lambda: webhook_deliver(delivery_id=delivery.pk), [(), ()])
    assert sorted(r is None for r in results) == [False, True]  # one sent, one found it taken
    assert len(sink.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 1)


def test_two_sweeps_at_once_send_each_due_delivery_once(sink):
    admin = UserFactory(username="ada", role="admin")
    sub = webhook_subscription_create(
        url=sink.url, event_types=["ticket.created"], created_by=admin
    )
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                subscription=sub, event="ticket.created", body="{}", next_attempt_at=None
            )
            for _ in range(20)
        ]
    )
    WebhookDelivery.objects.update(next_attempt_at="2000-01-01T00:00:00Z")

    def sweep():
        for delivery_id in webhook_due_ids():
            webhook_deliver(delivery_id=delivery_id)

    _race(sweep, [(), ()])
    assert len(sink.requests) == 20
    assert len({r["body"] for r in sink.requests}) == 1
    assert WebhookDelivery.objects.filter(status="succeeded", attempts=1).count() == 20
