"""The Django admin pages of webhooks: admins only, secret shown once, actions work."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from helpdesk.audit.models import AuditEntry
from tests.factories.tickets import UserFactory
from tickets.integrations.models import WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def test_only_the_admin_role_sees_the_pages(admin_client_):
    assert admin_client_.get("/admin/integrations/webhooksubscription/").status_code == 200
    assert admin_client_.get("/admin/integrations/webhookdelivery/").status_code == 200
    manager = UserFactory(username="max", role="manager")
    manager.is_staff = True
    manager.save()
    client = Client()
    client.force_login(manager)
    assert client.get("/admin/integrations/webhooksubscription/").status_code == 403


def test_adding_shows_the_secret_once_and_goes_through_the_service(admin_client_, admin_user):
    response = admin_client_.post(
        "/admin/integrations/webhooksubscription/add/",
        {
            "url": "https://crm.example.com/in",
            "description": "CRM",
            "event_types": ["ticket.created", "survey.answered"],
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content
    sub = WebhookSubscription.objects.get()
    assert sub.created_by == admin_user and sub.event_types == ["ticket.created", "survey.answered"]
    after = admin_client_.get(response.url)  # the page after saving shows it ...
    assert sub.secret.encode() in after.content
    page = admin_client_.get(f"/admin/integrations/webhooksubscription/{sub.pk}/change/")
    assert page.status_code == 200 and sub.secret.encode() not in page.content  # ... once
    assert AuditEntry.objects.filter(action="webhook.created").count() == 1


def test_rotate_action_and_redeliver_action(admin_client_, subscribe, sink):
    sub = subscribe(sink.url)
    old = sub.secret
    response = admin_client_.post(
        "/admin/integrations/webhooksubscription/",
        {"action": "rotate_secret", "_selected_action": [sub.pk]},
    )
    assert response.status_code == 302
    sub.refresh_from_db()
    assert sub.secret != old
    assert any(sub.secret in str(m) for m in get_messages(response.wsgi_request))
    delivery = WebhookDelivery.objects.create(
        subscription=sub, event="ping", body="{}", status="failed"
    )
    admin_client_.post(
        "/admin/integrations/webhookdelivery/",
        {"action": "redeliver", "_selected_action": [str(delivery.pk)]},
    )
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 0
