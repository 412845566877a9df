"""The webhook API's schema is complete, and the API keeps to it under generated input."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import checks

from helpdesk.wsgi import application
from tickets.integrations.models import WebhookDelivery

pytestmark = pytest.mark.django_db

# No server errors, and status codes, content types, bodies and headers as documented.
# Not "positive data acceptance": a schema cannot say which URLs Django's validator takes
# (`http://` is a `format: uri` string but no webhook address), so a 400 there is right.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]

OPERATIONS = {
    ("/api/webhooks/", "get"): "200",
    ("/api/webhooks/", "post"): "201",
    ("/api/webhooks/{id}/", "get"): "200",
    ("/api/webhooks/{id}/", "patch"): "200",
    ("/api/webhooks/{id}/", "delete"): "204",
    ("/api/webhooks/{id}/rotate-secret/", "post"): "200",
    ("/api/webhooks/{id}/ping/", "post"): "202",
    ("/api/webhooks/{id}/deliveries/", "get"): "200",
    ("/api/webhooks/{id}/deliveries/{delivery_id}/", "get"): "200",
    ("/api/webhooks/{id}/deliveries/{delivery_id}/redeliver/", "post"): "202",
}


def test_every_webhook_operation_is_described_with_real_bodies():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = {
        (path, method)
        for path, item in schema["paths"].items()
        if path.startswith("/api/webhooks/")
        for method in item
    }
    assert found == set(OPERATIONS)
    for (path, method), success in OPERATIONS.items():
        operation = schema["paths"][path][method]
        content = operation["responses"][success].get("content")
        if success == "204":
            assert content is None
        else:
            assert content["application/json"]["schema"], (path, method)
    subscription = schema["components"]["schemas"]["Subscription"]["properties"]
    assert "secret" not in subscription
    assert "secret" in schema["components"]["schemas"]["SubscriptionWithSecret"]["properties"]
    create = schema["paths"]["/api/webhooks/"]["post"]["requestBody"]["content"]
    ref = create["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][ref]["required"]) == {"url", "event_types"}
    filters = {
        p["name"] for p in schema["paths"]["/api/webhooks/{id}/deliveries/"]["get"]["parameters"]
    }
    assert {"status", "event", "ticket", "created_after", "created_before", "page"} <= filters


@pytest.fixture
def keep_test_connection():
    """Calling the WSGI app directly would close the test's database connection at the end
    of each request (Django's test client disconnects this handler the same way)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(admin_user, subscribe, keep_test_connection):
    sub = subscribe("https://crm.example.com/hooks")
    delivery = WebhookDelivery.objects.create(
        subscription=sub, event="ping", body='{"id": "x"}', status="failed"
    )
    return sub, delivery, Token.objects.create(user=admin_user).key


def test_generated_requests_get_no_server_error_and_answers_match_the_schema(world):
    """Schemathesis over every webhook operation, as an admin: any body, any query; ids are
    either random or those of a real subscription and delivery."""
    sub, delivery, token = world
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application).include(
        path_regex=r"^/api/webhooks/"
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len(OPERATIONS)
    for operation in operations:

        @given(case=operation.as_strategy(), real_ids=st.booleans())
        @settings(
            max_examples=12,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case, real_ids):
            cache.clear()  # rate limits: the generated calls are not what is tested here
            if real_ids and case.path_parameters:
                case.path_parameters["id"] = sub.pk
                if "delivery_id" in case.path_parameters:
                    case.path_parameters["delivery_id"] = str(delivery.pk)
            case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)

        run()
