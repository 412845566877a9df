"""One JSON error shape for every failure, and rate limits per token."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


def test_every_failure_is_the_json_error_shape(users, world):
    operator = client_for(users["operator"])
    cases = [
        (APIClient().get("/api/tickets/"), 401, "not_authenticated"),
        (
            APIClient(HTTP_AUTHORIZATION="Token wrong").get("/api/tickets/"),
            401,
            "authentication_failed",
        ),
        (client_for(users["norole"]).get("/api/tickets/"), 403, "permission_denied"),
        (operator.get("/api/channels/"), 403, "permission_denied"),
        (operator.get("/api/tickets/999999/"), 404, "not_found"),
        (operator.delete("/api/tickets/"), 405, "method_not_allowed"),
        (operator.post("/api/tickets/", {"text": ""}, format="json"), 400, "invalid"),
        (
            operator.post("/api/tickets/", "{not json", content_type="application/json"),
            400,
            "parse_error",
        ),
    ]
    for response, status, code in cases:
        assert response.status_code == status
        error = response.json()["error"]
        assert error["code"] == code and error["message"]
    invalid = cases[6][0].json()["error"]["detail"]
    assert set(invalid) >= {"customer", "channel", "text"}


def test_rate_limit_per_token_then_restored(users, world, settings):
    settings.API_RATE_USER = "3/min"
    first = APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=users['operator'])}")
    second = APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=users['manager'])}")
    assert [first.get("/api/tags/").status_code for _ in range(3)] == [200, 200, 200]
    limited = first.get("/api/tags/")
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "throttled"
    assert int(limited["Retry-After"]) > 0
    assert second.get("/api/tags/").status_code == 200  # each token has its own budget

    settings.API_RATE_USER = "1000/min"
    assert first.get("/api/tags/").status_code == 200


def test_token_requests_are_limited_per_address(db):
    anonymous = APIClient()
    body = {"username": "nobody", "password": "guess"}
    codes = [anonymous.post("/api/auth/token/", body).status_code for _ in range(21)]
    assert codes[:20] == [400] * 20 and codes[20] == 429
